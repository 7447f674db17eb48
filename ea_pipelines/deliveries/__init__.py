"""Partner deliveries: reading real-world spreadsheets, validating them, and the inbox around them."""
