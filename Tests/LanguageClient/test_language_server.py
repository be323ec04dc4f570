"""Every feature of Estiba's language server, driven by a real LSP client (pytest-lsp on pygls), which also checks
each answer against the LSP specification's types."""
import asyncio
import os
import uuid

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

TIMEOUT = 30


def uri_of(context):
    return "file://" + os.path.join(context, "Dockerfile")


async def published(client: LanguageClient, uri: str, version: int):
    """The diagnostics the server publishes for `uri` at `version`."""

    async def wait():
        while True:
            params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if params.uri == uri and params.version == version:
                return params.diagnostics

    return await asyncio.wait_for(wait(), TIMEOUT)


async def open_document(client: LanguageClient, uri: str, text: str, version: int = 1):
    waiting = asyncio.ensure_future(published(client, uri, version))
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id="dockerfile", version=version, text=text))
    )
    return await waiting


def at(line, character):
    return types.Position(line=line, character=character)


def doc(uri):
    return types.TextDocumentIdentifier(uri=uri)


@pytest.mark.asyncio
async def test_initialize_announces_every_feature(client: LanguageClient):
    result = client.initialize_result
    assert result.server_info.name == "estiba"
    c = result.capabilities
    assert c.text_document_sync.change == types.TextDocumentSyncKind.Incremental
    assert c.text_document_sync.open_close and c.text_document_sync.save
    assert c.hover_provider and c.definition_provider and c.references_provider and c.document_highlight_provider
    assert c.rename_provider and c.document_symbol_provider and c.folding_range_provider and c.document_formatting_provider
    assert c.completion_provider is not None and c.code_action_provider and c.inlay_hint_provider and c.code_lens_provider
    assert c.semantic_tokens_provider.full
    assert set(c.execute_command_provider.commands) == {"estiba.build", "estiba.run"}


@pytest.mark.asyncio
async def test_diagnostics_follow_each_version_with_codes_and_links(client: LanguageClient, context):
    uri = uri_of(context)
    text = "FROM busybox as base\nMAINTAINER me\nCOPY app.txt missing.txt secret.txt /x/\nENV mode value\nCMD echo hi\n"
    found = await open_document(client, uri, text)
    codes = sorted((d.range.start.line, d.code) for d in found)
    assert codes == [
        (0, "FromAsCasing"),
        (1, "MaintainerDeprecated"),
        (2, "CopyIgnoredFile"),
        (2, "missing-source"),
        (3, "LegacyKeyValueFormat"),
        (4, "JSONArgsRecommended"),
    ], codes
    for d in found:
        # BuildKit's checks link to their pages; Estiba's own codes have none of their own.
        assert d.source == "estiba"
        if d.code[0].isupper():
            assert d.code_description.href.startswith("https://docs.docker.com/go/dockerfile/rule/"), d
        else:
            assert d.code_description is None, d
    missing = next(d for d in found if d.code == "missing-source")
    assert (missing.range.start.character, missing.range.end.character) == (13, 24)

    # An incremental change: "as" becomes "AS" on line 0.
    waiting = asyncio.ensure_future(published(client, uri, 2))
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangePartial(range=types.Range(start=at(0, 13), end=at(0, 15)), text="AS")],
        )
    )
    assert "FromAsCasing" not in [d.code for d in await waiting]

    # A syntax error is an error on its line.
    waiting = asyncio.ensure_future(published(client, uri, 3))
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="FROM busybox\nFROBNICATE x\n")],
        )
    )
    errors = [d for d in await waiting if d.severity == types.DiagnosticSeverity.Error]
    assert [e.range.start.line for e in errors] == [1] and "frobnicate" in errors[0].message.lower()

    # The file that was missing appears: the context changed, the diagnostics are published again.
    waiting = asyncio.ensure_future(published(client, uri, 4))
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=4),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="FROM busybox\nCOPY missing.txt /x/\n")],
        )
    )
    assert [d.code for d in await waiting] == ["missing-source"]
    with open(os.path.join(context, "missing.txt"), "w") as f:
        f.write("now here\n")
    waiting = asyncio.ensure_future(published(client, uri, 4))
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri="file://" + os.path.join(context, "missing.txt"), type=types.FileChangeType.Created)])
    )
    assert list(await waiting) == []

    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=doc(uri)))


@pytest.mark.asyncio
async def test_quick_fixes_rewrite_the_instruction(client: LanguageClient, context):
    uri = uri_of(context)
    found = await open_document(client, uri, "FROM busybox\nMAINTAINER me\nCMD echo hi\n")
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(text_document=doc(uri), range=types.Range(start=at(0, 0), end=at(3, 0)), context=types.CodeActionContext(diagnostics=list(found)))
    )
    edits = [e.new_text for a in actions if a.edit for e in a.edit.changes[uri]]
    assert 'LABEL org.opencontainers.image.authors="me"' in edits, edits
    assert "# check=skip=MaintainerDeprecated\n" in edits, edits
    assert any('["echo", "hi"]' in e for e in edits), edits
    assert all(a.kind == types.CodeActionKind.QuickFix for a in actions)


@pytest.mark.asyncio
async def test_hover_explains_instructions_variables_images_and_sources(client: LanguageClient, context):
    uri = uri_of(context)
    await open_document(client, uri, "FROM busybox\nENV APP=/srv\nRUN echo $APP\nCOPY app.txt /x/\n")

    async def hover(line, character):
        h = await client.text_document_hover_async(types.HoverParams(text_document=doc(uri), position=at(line, character)))
        return h.contents.value if h else ""

    assert (await hover(2, 1)).startswith("**RUN**")
    assert "**APP** = `/srv`" in await hover(2, 11)
    image = await hover(0, 7)
    assert "busybox" in image and "linux/" in image, image
    assert await hover(3, 7) == "**app.txt**: 1 file, 6B"


@pytest.mark.asyncio
async def test_completion_offers_what_fits_the_place(client: LanguageClient, context):
    uri = uri_of(context)
    text = "FROM busybox AS base\nARG FLAVOR=plain\nRUN echo ${FL\nFROM \nCOPY --\nCOPY --from=\nCOPY \n\n"
    await open_document(client, uri, text)

    async def labels(line, character):
        result = await client.text_document_completion_async(types.CompletionParams(text_document=doc(uri), position=at(line, character)))
        items = result.items if isinstance(result, types.CompletionList) else result
        return {i.label: i.kind for i in items}

    assert labels and (await labels(7, 0)).get("HEALTHCHECK") == types.CompletionItemKind.Keyword
    assert "FLAVOR" in await labels(2, 13)
    assert (await labels(3, 5)).get("busybox:latest") == types.CompletionItemKind.Module
    assert "--chown" in await labels(4, 7)
    assert (await labels(5, 12)).get("base") == types.CompletionItemKind.Reference
    paths = await labels(6, 5)
    assert paths.get("app.txt") == types.CompletionItemKind.File and paths.get("conf/") == types.CompletionItemKind.Folder
    assert "secret.txt" not in paths


@pytest.mark.asyncio
async def test_navigation_finds_stages_and_variables(client: LanguageClient, context):
    uri = uri_of(context)
    text = "FROM busybox AS build\nARG MODE=fast\nRUN echo $MODE\nFROM busybox\nCOPY --from=build /bin/sh /sh\n"
    await open_document(client, uri, text)
    definition = await client.text_document_definition_async(types.DefinitionParams(text_document=doc(uri), position=at(4, 14)))
    assert definition.range.start.line == 0
    references = await client.text_document_references_async(
        types.ReferenceParams(text_document=doc(uri), position=at(1, 5), context=types.ReferenceContext(include_declaration=True))
    )
    assert sorted(r.range.start.line for r in references) == [1, 2]
    highlights = await client.text_document_document_highlight_async(types.DocumentHighlightParams(text_document=doc(uri), position=at(0, 17)))
    assert sorted(h.range.start.line for h in highlights) == [0, 4]
    rename = await client.text_document_rename_async(types.RenameParams(text_document=doc(uri), position=at(0, 17), new_name="compile"))
    assert sorted(e.range.start.line for e in rename.changes[uri]) == [0, 4] and all(e.new_text == "compile" for e in rename.changes[uri])


@pytest.mark.asyncio
async def test_outline_folds_tokens_and_formatting(client: LanguageClient, context):
    uri = uri_of(context)
    text = "FROM busybox AS base\nrun echo one && \\\necho two\nFROM base\nCMD [\"sh\"]\n"
    await open_document(client, uri, text)
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc(uri)))
    assert [s.name for s in symbols] == ["base", "stage 1"]
    folds = await client.text_document_folding_range_async(types.FoldingRangeParams(text_document=doc(uri)))
    assert any(f.start_line == 0 and f.end_line == 2 for f in folds)
    tokens = await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=doc(uri)))
    assert tokens.data and len(tokens.data) % 5 == 0
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(text_document=doc(uri), options=types.FormattingOptions(tab_size=4, insert_spaces=True))
    )
    assert any(e.new_text == "RUN" for e in edits), edits
    assert any(e.range.start.line == 2 and e.new_text == "    " for e in edits), edits


@pytest.mark.asyncio
async def test_cache_hints_build_lenses_and_the_watched_context(client: LanguageClient, context):
    uri = uri_of(context)
    # A destination of its own, so that no earlier build made these steps.
    target = "/app-%s.txt" % uuid.uuid4().hex[:12]
    text = "FROM busybox\nCOPY app.txt %s\nRUN cat %s\n" % (target, target)
    await open_document(client, uri, text)
    # The server watches the context's files.
    assert any(r.method == "workspace/didChangeWatchedFiles" for r in client.registrations)

    async def hints():
        found = await client.text_document_inlay_hint_async(
            types.InlayHintParams(text_document=doc(uri), range=types.Range(start=at(0, 0), end=at(3, 0)))
        )
        return {h.position.line: h.label for h in found}

    before = await hints()
    # With a work-done token, the dry run reports its progress.
    client.progress_reports.setdefault("hints-1", [])
    await client.text_document_inlay_hint_async(
        types.InlayHintParams(text_document=doc(uri), range=types.Range(start=at(0, 0), end=at(3, 0)), work_done_token="hints-1")
    )
    reports = client.progress_reports["hints-1"]
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and isinstance(reports[-1], types.WorkDoneProgressEnd), reports
    assert reports[-1].message == "0 of 2 steps cached", reports
    # (A store that built the same file with another destination before says so.)
    assert before[1] in ("not cached: not built before", "not cached: instruction changed"), before
    assert before[2] == "not cached: previous step rebuilt", before

    lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=doc(uri)))
    assert [lens.command.title for lens in lenses] == ["Build (0 of 2 steps cached)", "Build to this stage", "Run"]
    built = await asyncio.wait_for(
        client.workspace_execute_command_async(types.ExecuteCommandParams(command="estiba.build", arguments=[uri])), 120
    )
    assert built["image"].startswith("sha256:")
    progress = [r for reports in client.progress_reports.values() for r in reports]
    assert isinstance(progress[0], types.WorkDoneProgressBegin) and isinstance(progress[-1], types.WorkDoneProgressEnd)
    assert any(isinstance(r, types.WorkDoneProgressReport) and "Step 2/3" in (r.message or "") for r in progress)
    assert "inlayHint" in client.refreshes and "codeLens" in client.refreshes
    # Each step went to the editor's log, and the outcome.
    logged = [m.message for m in client.log_messages]
    assert "Step 2/3 : COPY app.txt %s" % target in logged and any(m.startswith("Built ") for m in logged), logged
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=doc(uri)))
    assert lenses[0].command.title == "Build (2 of 2 steps cached)"

    after = await hints()
    assert after[1].startswith("cached") and after[2].startswith("cached"), after

    # A source changes on disk: the editor says so, the server asks for new hints, which name the file.
    with open(os.path.join(context, "app.txt"), "w") as f:
        f.write("changed\n")
    client.refreshes.clear()
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri="file://" + os.path.join(context, "app.txt"), type=types.FileChangeType.Changed)])
    )
    for _ in range(100):
        if "inlayHint" in client.refreshes:
            break
        await asyncio.sleep(0.05)
    assert "inlayHint" in client.refreshes
    changed = await hints()
    assert changed[1] == "not cached: source changed: app.txt" and changed[2] == "not cached: previous step rebuilt", changed
