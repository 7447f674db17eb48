"""Reference data shared by sources: CBS region codes and names."""
