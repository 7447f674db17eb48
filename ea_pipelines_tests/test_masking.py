"""The one masking rule (ea_pipelines/masking.py): URL passwords and known secrets, in texts, bodies, notes, log
records and error messages of the HTTP client talking to a server that echoes them."""

from __future__ import annotations

import base64
import io
import json
import logging
from urllib.parse import quote

import pytest

from ea_pipelines import masking
from ea_pipelines.cbs.errors import CbsError
from ea_pipelines.cbs.http import HttpClient
from ea_pipelines.devtools.fake_cbs_server import ECHO, FakeCbsServer, Fault
from ea_pipelines.masking import MASK, Note, mask, mask_bytes
from ea_pipelines_tests.conftest import FAST

#: secrets of the shapes people use: letters and digits, punctuation that URLs percent-encode, non-ASCII
SECRETS = ["Tr0ub4dor-and-3", "p@ss:w/rd?&=#%", "wachtwoord één €", "x" * 64]


@pytest.mark.parametrize("secret", SECRETS)
def test_a_registered_secret_is_masked_in_every_form_a_server_can_echo(secret: str) -> None:
    masking.register_url(f"https://loader:{quote(secret, safe='')}@cbs.example/odata")
    basic = base64.b64encode(f"loader:{secret}".encode()).decode()
    for form in (secret, quote(secret, safe=""), basic):
        text = f"HTTP 401: you sent {form!s}; try again"
        assert form not in mask(text) and MASK in mask(text)
        body = json.dumps({"error": {"message": f"bad {form}"}}, ensure_ascii=False).encode()
        masked = mask_bytes(body)
        assert form.encode() not in masked and json.loads(masked)["error"]["message"] == f"bad {MASK}"


def test_the_environment_names_its_secrets() -> None:
    env = {"EA_SWING_API_KEY": "key-from-env-1", "DAGSTER_PG_PASSWORD": "pg-from-env-2",
           "EA_SOME_TOKEN": "token-from-env-3", "EA_MIRROR_URL": "http://u:url-from-env-4@mirror/x",
           "HOME": "/home/not-a-secret", "EA_SOURCE_MODE": "live", "EA_SHORT_KEY": "abc"}
    masking.register_environment(env)
    text = " ".join(env.values())
    shown = mask(text)
    for secret in ("key-from-env-1", "pg-from-env-2", "token-from-env-3", "url-from-env-4"):
        assert secret not in shown
    # ordinary settings stay readable; a secret too short to mask as free text is masked inside URLs only
    assert "/home/not-a-secret" in shown and "live" in shown and " abc" in shown
    assert mask("http://u:abc@host/") == "http://u:***@host/"


def test_a_note_is_masked_when_made_and_stays_masked() -> None:
    note = Note("fetched live from http://ea:Geheim-123456@cbs.example/odata")
    for shown in (note, str(note), f"{note}", note + " (and more)", f"{note:>5}", repr(note)):
        assert "Geheim-123456" not in shown and "ea:***@cbs.example" in shown
    assert isinstance(note + "!", Note) and type(str(note)) is str


def test_every_log_record_is_masked_whoever_logs_it_and_whichever_handler_writes_it() -> None:
    masking.register_secret("Swing-key-in-a-log-1")
    masking.install_logging()
    masking.install_logging()  # idempotent: one masking factory
    assert isinstance(logging.getLogRecordFactory(), masking._MaskingFactory)
    assert not isinstance(logging.getLogRecordFactory().inner, masking._MaskingFactory)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)  # a handler of some library's own: no filter of ours on it
    logger = logging.getLogger("some.library")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("GET %s failed with key %s", "http://ea:Pw-in-a-log-2@host/x", "Swing-key-in-a-log-1")
        try:
            raise CbsError("never masked by its own class? http://ea:Pw-in-a-log-3@host/") from ValueError(
                "http://ea:Pw-in-a-log-4@host/ Swing-key-in-a-log-1")
        except CbsError:
            logger.exception("load failed")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    written = stream.getvalue()
    assert "GET http://ea:***@host/x failed with key ***" in written
    assert "Traceback" in written and "ValueError: http://ea:***@host/ ***" in written
    for secret in ("Pw-in-a-log-2", "Pw-in-a-log-3", "Pw-in-a-log-4", "Swing-key-in-a-log-1"):
        assert secret not in written


ECHOES = [Fault("echo", status=401), Fault("echo", status=403, content_type="text/html"),
          Fault("echo", status=400), Fault("echo", status=200, content_type="text/html")]


@pytest.mark.parametrize("fault", ECHOES, ids=lambda f: f"{f.status}-{f.content_type}")
def test_a_server_echoing_the_key_in_an_error_page_gives_an_error_without_it(fault: Fault) -> None:
    key, password = "Echoed-api-key-77", "Echoed-password-88"
    with FakeCbsServer([]) as server:
        server.inject("/x$", fault)
        client = HttpClient(FAST, headers={"apikey": key})
        url = server.root.replace("http://", f"http://ea:{password}@") + "/x"
        with pytest.raises(CbsError) as err:
            client.get(url)
    basic = base64.b64encode(f"ea:{password}".encode()).decode()
    message = str(err.value)
    assert "apikey=*** Authorization=Basic *** url=http://ea:***@127.0.0.1" in message  # it was echoed
    assert not any(s in message for s in (key, password, basic))


def test_a_server_echoing_the_key_in_a_json_answer_hands_out_the_answer_without_it() -> None:
    key = "Echoed-api-key-99"
    with FakeCbsServer([]) as server:
        server.echo = True
        server.tamper("/odata/v1/CBS/Datasets$", lambda path, params, body: body.replace(
            b'"value": []', f'"value": [{{"Title": "{ECHO}"}}]'.encode()))
        response = HttpClient(FAST, headers={"apikey": key}).get(server.v4_url + "/Datasets")
    assert key.encode() not in response.body and key not in json.dumps(response.payload)
    assert response.payload["value"][0]["Title"].startswith("apikey=*** Authorization=")
    assert response.payload["request"].startswith("apikey=*** ")
