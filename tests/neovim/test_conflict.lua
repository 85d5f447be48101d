-- A proposal whose hunk no longer fits where it was reviewed: the server answers {status = "conflict"},
-- the plugin keeps the proposal pending (not applied), leaves the review open and the buffer untouched.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))

H.run("conflict", function()
  H.setup({ model = "test/edit" })
  local buf = H.open("calc.py")
  local proposal = H.ask_review("1,10SkiffAsk add docstrings").proposal
  local h_add
  for _, h in ipairs(proposal.files[1].hunks) do
    if h.range.start.line == 1 then
      h_add = h
    end
  end
  H.ok(h_add, "the docstring hunk of add()")

  -- The user rewrites the line the docstring of add() was reviewed under.
  vim.api.nvim_buf_set_lines(buf, 0, 1, false, { "def add(x, y):" })
  vim.wait(600) -- let the debounced didChange reach the server
  local edited = H.buf_lines(buf)

  local session = require("skiff.session")
  local done, answer = false, nil
  session.resolve(proposal.id, "all", function(_, result)
    done, answer = true, result
  end)
  H.wait(10000, function()
    return done
  end, "the skiff/resolveProposal answer")
  H.eq("conflict", answer.status, "resolve status")
  H.eq(h_add.id, answer.conflicts[1].hunk, "the conflicting hunk")
  H.eq("calc.py", answer.conflicts[1].path, "the conflicting file")
  H.eq("pending", session.proposals[proposal.id].status, "the proposal stays pending")
  H.eq(edited, H.buf_lines(buf), "nothing was applied")
end)
