"""Fixtures: an Estiba language server on a store that holds busybox, and a build context to edit.

ESTIBA_BIN names the estiba executable and ESTIBA_ROOT a store holding busybox:latest (the Swift test that runs
this suite makes both). Each test gets its own server on a copy-free scratch context.
"""
import os
import shutil
import tempfile

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

ESTIBA = os.environ.get("ESTIBA_BIN", os.path.join(os.path.dirname(__file__), "..", "..", ".build", "debug", "estiba"))
ROOT = os.environ.get("ESTIBA_ROOT", "")


@pytest.fixture()
def context():
    """A build context: two files, a directory, and a .dockerignore that excludes one file."""
    directory = tempfile.mkdtemp(prefix="estiba-lsp-context-")
    with open(os.path.join(directory, "app.txt"), "w") as f:
        f.write("hello\n")
    with open(os.path.join(directory, "secret.txt"), "w") as f:
        f.write("hidden\n")
    os.makedirs(os.path.join(directory, "conf"))
    with open(os.path.join(directory, "conf", "site.conf"), "w") as f:
        f.write("listen 80\n")
    with open(os.path.join(directory, ".dockerignore"), "w") as f:
        f.write("secret.txt\n")
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[ESTIBA, "--root", ROOT, "serve", "--stdio"] if ROOT else [ESTIBA, "serve", "--stdio"]),
)
async def client(lsp_client: LanguageClient):
    # A client that takes part in everything the server offers: dynamic file watching, inlay-hint and code-lens
    # refreshes, work-done progress.
    capabilities = types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True),
            inlay_hint=types.InlayHintWorkspaceClientCapabilities(refresh_support=True),
            code_lens=types.CodeLensWorkspaceClientCapabilities(refresh_support=True),
        ),
        window=types.WindowClientCapabilities(work_done_progress=True),
        text_document=types.TextDocumentClientCapabilities(
            hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown, types.MarkupKind.PlainText]),
            completion=types.CompletionClientCapabilities(
                completion_item=types.ClientCompletionItemOptions(documentation_format=[types.MarkupKind.Markdown, types.MarkupKind.PlainText])
            ),
        ),
    )
    lsp_client.registrations = []
    lsp_client.refreshes = []

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams):
        lsp_client.registrations.extend(params.registrations)

    @lsp_client.feature(types.WORKSPACE_INLAY_HINT_REFRESH)
    def inlay_refresh(params):
        lsp_client.refreshes.append("inlayHint")

    @lsp_client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def lens_refresh(params):
        lsp_client.refreshes.append("codeLens")

    lsp_client.initialize_result = await lsp_client.initialize_session(
        types.InitializeParams(capabilities=capabilities, client_info=types.ClientInfo(name="pytest-lsp"))
    )
    yield
    await lsp_client.shutdown_session()
