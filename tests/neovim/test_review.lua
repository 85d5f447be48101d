-- (1) :SkiffAsk on a range -> proposal in the review tab -> accept one hunk, reject the other ->
-- exact buffer text; then :SkiffUndo restores the original.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))

H.run("review", function()
  H.setup({ model = "test/edit" })
  local sent = H.record_requests()
  local buf = H.open("calc.py")
  local original = H.buf_lines(buf)
  H.eq(10, #original, "fixture calc.py line count")

  -- A diagnostic from a non-LSP source: every diagnostic is forwarded with the request.
  local fake = vim.api.nvim_create_namespace("fakelint")
  vim.diagnostic.set(fake, buf, {
    { lnum = 9, col = 4, end_lnum = 9, end_col = 10, severity = vim.diagnostic.severity.WARN, message = "fake warning", source = "fakelint" },
  })

  local r = H.ask_review("1,10SkiffAsk add docstrings")
  local review = require("skiff.review")

  -- What the plugin sent.
  local chat_req = H.last_params(sent, "skiff/chat")
  H.ok(chat_req, "no skiff/chat request was sent")
  H.eq("add docstrings", chat_req.prompt, "prompt")
  H.eq(vim.uri_from_bufnr(buf), chat_req.context.uri, "context uri")
  H.eq({ start = { line = 0, character = 0 }, ["end"] = { line = 9, character = 16 } }, chat_req.context.range, "context range")
  H.eq(1, #chat_req.context.diagnostics, "forwarded diagnostics")
  local d = chat_req.context.diagnostics[1]
  H.eq({ "fakelint", "fake warning", 2 }, { d.source, d.message, d.severity }, "forwarded diagnostic")
  H.eq({ start = { line = 9, character = 4 }, ["end"] = { line = 9, character = 10 } }, d.range, "diagnostic range")

  H.eq(vim.api.nvim_get_current_tabpage(), r.tab, "the review tab is current")
  H.eq(buf, vim.api.nvim_win_get_buf(r.left_win), "left window shows the file's buffer")
  local file = r.proposal.files[1]
  H.eq("calc.py", file.path, "proposal file")
  H.eq(2, #file.hunks, "hunks in the proposal")
  local h_add, h_sub = file.hunks[1], file.hunks[2]
  if h_add.range.start.line > h_sub.range.start.line then
    h_add, h_sub = h_sub, h_add
  end
  H.eq(1, h_add.range.start.line, "first hunk starts on line 2")
  H.eq(9, h_sub.range.start.line, "second hunk starts on line 10")
  -- The scratch buffer holds the proposed text.
  H.eq(vim.split(file.newText, "\n", { plain = true, trimempty = false }), vim.list_extend(H.buf_lines(r.right_buf), { "" }), "proposed buffer text")
  H.ok(vim.wo[r.left_win].diff and vim.wo[r.right_win].diff, "both review windows are in diff mode")

  -- Accept the first hunk from the proposed side (:SkiffAccept = hunk under the cursor here).
  vim.api.nvim_set_current_win(r.right_win)
  vim.api.nvim_win_set_cursor(r.right_win, { h_add.range.start.line + 1, 0 })
  H.eq(h_add.id, review.hunk_at_cursor(), "hunk under the cursor (proposed side)")
  vim.cmd("SkiffAccept")
  H.eq("accept", r.decisions[h_add.id], "first hunk accepted")
  H.ok(review.in_review(), "the review stays open while a hunk is undecided")

  -- Reject the second from the file's side with the buffer-local mapping.
  vim.api.nvim_set_current_win(r.left_win)
  vim.api.nvim_win_set_cursor(r.left_win, { h_sub.range.start.line + 1, 0 })
  H.eq(h_sub.id, review.hunk_at_cursor(), "hunk under the cursor (file side)")
  vim.api.nvim_feedkeys("gr", "mx", false)

  local id = r.proposal.id
  H.wait_proposal(id, "partially_applied", "the partial resolution to be applied and the review tab to close", true)

  local expected = vim.deepcopy(original)
  table.insert(expected, 2, '    """Return the sum of a and b."""')
  H.eq(expected, H.buf_lines(buf), "buffer text after accepting one hunk and rejecting the other")
  H.ok(vim.bo[buf].modified, "the buffer is modified (not saved) after the edit")
  H.eq(1, #vim.api.nvim_list_tabpages(), "the review tab is closed")
  H.eq({ id = id, accept = { h_add.id } }, H.last_params(sent, "skiff/resolveProposal"), "skiff/resolveProposal params")

  -- :SkiffUndo restores the original text.
  vim.cmd("SkiffUndo")
  H.wait_proposal(id, "undone", "the undo")
  H.eq(original, H.buf_lines(buf), "buffer text after :SkiffUndo")
end)
