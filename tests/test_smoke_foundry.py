"""make smoke's chat journey (tools/smoke_foundry.py) against a fake client: one short chat
completion per chat model deployment of the stack's Foundry resource, as the signed-in identity,
no key; what is a chat deployment; the hints of a failed call; and, where .venv-verify is there,
the real call over azure-core with a fake transport (the request it sends, the reply it reads)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import planned_file
from tests.test_smoke import FakeClient, export_plan, outputs, run
from tools import smoke, smoke_foundry
from tools.smoke import SmokeError

ROOT = Path(__file__).resolve().parent.parent
GENAI = ROOT / "examples" / "Pulumi.genai.yaml"
ACCOUNT = "aif-genai-dev-50t1"


class ChatClient(FakeClient):
    """The fake Azure ML client, which also calls chat deployments."""

    def __init__(self, reply: str = "pong", **kwargs):
        super().__init__(**kwargs)
        self.reply = reply
        self.chats: list[tuple[str, str, float]] = []

    def chat(self, *, account, deployment, timeout):
        self.chats.append((account, deployment, timeout))
        self._call("chat", deployment)
        return self.reply


@pytest.fixture(scope="module")
def genai_plan() -> dict:
    return export_plan.policy_plan(GENAI, planned_file(GENAI))


def genai_outputs() -> dict:
    return outputs(foundryAccountName=ACCOUNT, workspaceName="mlw-genai-dev", resourceGroupName="rg-genai-dev")


def test_the_chat_deployments_of_the_example_and_not_its_embedding_model(genai_plan):
    facts = smoke.stack_facts(genai_plan, genai_outputs())
    assert (facts.foundry, facts.chats) == (ACCOUNT, ("gpt-4o-mini",))  # text-embedding-3-small takes no chat
    assert [(j.kind, j.target) for j in smoke.journeys(facts)] == [
        ("datastore", "workspaceblobstore"), ("chat", "gpt-4o-mini"), ("environment", "cpu-compute"),
        ("job", "cpu-compute")]


def test_no_account_in_the_outputs_no_chat(genai_plan):
    assert smoke.stack_facts(genai_plan, outputs()).chats == ()


@pytest.mark.parametrize("model,chat", [
    ("gpt-4o-mini", True), ("Phi-4", True), ("DeepSeek-R1", True), ("o3-mini", True),
    ("text-embedding-3-small", False), ("whisper", False), ("tts-hd", False), ("dall-e-3", False),
    ("gpt-image-1", False), ("gpt-4o-realtime-preview", False), ("gpt-4o-transcribe", False),
])
def test_which_models_take_a_chat_completion(model, chat):
    from azureml_infra.foundry_catalog import is_chat_model

    assert is_chat_model(model) is chat


def test_each_chat_deployment_answers_as_the_signed_in_identity(tmp_path, capsys, genai_plan):
    client = ChatClient()
    assert run(tmp_path, client, plan=genai_plan, outs=genai_outputs()) == 0
    (call,) = client.chats
    assert call[:2] == (ACCOUNT, "gpt-4o-mini") and call[2] > 0
    out = capsys.readouterr().out
    assert "chat         gpt-4o-mini         pass" in out
    assert out.splitlines()[-1] == "smoke: all 4 journeys passed"


def test_a_failed_chat_names_the_missing_role(tmp_path, capsys, genai_plan):
    error = SmokeError("HttpResponseError: (PermissionDenied) The principal lacks the required data action",
                       detail="(PermissionDenied) The principal lacks the required data action", status=401)
    client = ChatClient(failures={("chat", "gpt-4o-mini"): error})
    assert run(tmp_path, client, "--format", "json", plan=genai_plan, outs=genai_outputs()) == 1
    document = json.loads(capsys.readouterr().out)
    (chat,) = [j for j in document["journeys"] if j["journey"] == "chat"]
    assert (chat["result"], chat["step"], chat["errorKind"]) == ("fail", "chat", "foundry-permission")
    assert chat["hint"].startswith("the signed-in identity needs Cognitive Services OpenAI User")
    assert document["failed"] == ["chat gpt-4o-mini"]
    # The other journeys still ran: a chat made nothing to clean up.
    assert ("wait_job", "cpu-compute") in client.calls


def test_the_request_and_the_reply():
    assert smoke_foundry.chat_url(ACCOUNT, "gpt-4o-mini") == (
        f"https://{ACCOUNT}.openai.azure.com/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21")
    assert smoke_foundry.answer_of(json.dumps({"choices": [{"message": {"content": " pong\n"}}]})) == "pong"
    with pytest.raises(ValueError, match="no reply"):
        smoke_foundry.answer_of(json.dumps({"choices": []}))


# The adapter for real, in the venv that has azure-core and azure-identity (make smoke's).
_REAL_CALL = """
import json, sys
sys.path.insert(0, sys.argv[1])
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.pipeline.transport import HttpTransport
from tools import smoke_foundry

class Credential:
    def get_token(self, *scopes, **kwargs):
        return AccessToken("entra-token", 9999999999)
    def get_token_info(self, *scopes, options=None):
        assert scopes == ("https://cognitiveservices.azure.com/.default",), scopes
        return AccessTokenInfo("entra-token", 9999999999)

class Reply:
    def __init__(self, request, status, body):
        self.request, self.status_code, self._body = request, status, body
        self.headers, self.reason, self.content_type = {"content-type": "application/json"}, "", "application/json"
    def text(self, encoding=None): return self._body
    def body(self): return self._body.encode()
    def read(self): return self._body.encode()
    @property
    def content(self): return self._body.encode()
    def close(self): pass

class Transport(HttpTransport):
    def __init__(self, status, body): self.status, self.body, self.sent = status, body, []
    def __enter__(self): return self
    def __exit__(self, *args): pass
    def open(self): pass
    def close(self): pass
    def send(self, request, **kwargs):
        self.sent.append((request.method, request.url, request.headers.get("Authorization"), request.content))
        return Reply(request, self.status, self.body)

ok = Transport(200, json.dumps({"choices": [{"message": {"role": "assistant", "content": "pong"}}]}))
reply = smoke_foundry.chat_completion(Credential(), "aif-x", "gpt-4o-mini", 30, transport=ok)
denied = Transport(403, json.dumps({"error": {"code": "PermissionDenied", "message": "lacks the data action"}}))
try:
    smoke_foundry.chat_completion(Credential(), "aif-x", "gpt-4o-mini", 30, transport=denied)
    error = None
except Exception as exc:
    error = [type(exc).__name__, getattr(exc, "status_code", None), str(exc).splitlines()[0]]
print(json.dumps({"reply": reply, "sent": ok.sent, "error": error}))
"""


def test_the_real_call_sends_an_entra_token_and_no_key(tmp_path):
    python = ROOT / ".venv-verify" / "bin" / "python"
    if not python.exists():
        pytest.skip("no .venv-verify (make smoke's venv)")
    done = subprocess.run([str(python), "-c", _REAL_CALL, str(ROOT)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["reply"] == "pong"
    (sent,) = result["sent"]
    assert sent[:3] == ["POST", "https://aif-x.openai.azure.com/openai/deployments/gpt-4o-mini/chat/completions"
                                "?api-version=2024-10-21", "Bearer entra-token"]
    assert json.loads(sent[3]) == {"messages": [{"role": "user", "content": "Reply with the single word: pong"}]}
    assert result["error"] == ["HttpResponseError", 403, "(PermissionDenied) lacks the data action"]
