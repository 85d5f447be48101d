-- The checks that travel with a proposal (`verification`): the one-call edit path checks stats.py
-- against test_stats.py before proposing. (1) Passing checks: shown in the review tab's winbar and
-- announced when it opens, echoed with the result of accepting. (2) A failing test: the same places,
-- marked ⚠ with DiagnosticWarn and at warning level. (3) A tool-loop proposal carries no checks and
-- shows none.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))

local notes = H.record_notes()

--- The winbar as drawn (text and highlight groups), `width` columns wide.
local function winbar(win, width)
  return vim.api.nvim_eval_statusline(vim.wo[win].winbar, { winid = win, use_winbar = true, highlights = true, maxwidth = width })
end

local function group_at(drawn, col)
  local group
  for _, h in ipairs(drawn.highlights) do
    if h.start <= col then
      group = type(h.groups) == "table" and h.groups[#h.groups] or h.group
    end
  end
  return group
end

--- :SkiffAsk over the whole buffer; waits for the review tab of a new proposal.
local function ask(buf, prompt)
  local review = require("skiff.review")
  local before = #require("skiff.session").proposal_order
  vim.api.nvim_set_current_buf(buf)
  vim.cmd(("1,%dSkiffAsk %s"):format(vim.api.nvim_buf_line_count(buf), prompt))
  H.wait(40000, function()
    return #require("skiff.session").proposal_order > before and review.in_review()
  end, "the review tab of the proposal for: " .. prompt)
  return review.current
end

local function wait_resolved(id, status)
  H.wait_proposal(id, status, ("proposal %s to be %s and the review tab to close"):format(id, status), true)
end

local function set_model(model)
  local done = false
  require("skiff.client").call("skiff/setModel", { model = model }, function(err)
    H.ok(not err, "setModel " .. model .. ": " .. vim.inspect(err))
    done = true
  end)
  H.wait(10000, function()
    return done
  end, "skiff/setModel " .. model)
end

H.run("checks", function()
  H.setup({ model = "test/oneshot" })
  local buf = H.open("stats.py")
  local chat = require("skiff.chat")

  -- (1) The tests pass.
  local r = ask(buf, "make mean return 0.0 for an empty list")
  local id = r.proposal.id
  local v = r.proposal.verification
  H.ok(type(v) == "table", "the proposal carries its checks: " .. vim.inspect(r.proposal))
  H.eq({ true, "syntax ok · 1 test passed" }, { v.ok, v.summary }, "verification of the passing edit")
  local label = "✓ syntax ok · 1 test passed"
  H.ok(vim.wo[r.right_win].winbar:find("%#DiagnosticOk#" .. label .. "%*", 1, true), "winbar shows the passing checks: " .. vim.wo[r.right_win].winbar)
  local drawn = winbar(r.right_win, 400)
  -- Each half of the 80-column tab shows what fits, the checks first (test_polish.lua: the rest).
  H.eq(1, drawn.str:find(label, 1, true), "winbar text: " .. drawn.str)
  H.eq("DiagnosticOk", group_at(drawn, 0), "highlight of the passing checks")
  local opened = H.find_note(notes, "proposal " .. id .. " checks:")
  H.ok(opened, "a message when the review opens")
  H.eq({ "Skiff: proposal " .. id .. " checks: " .. label, vim.log.levels.INFO }, { opened.msg, opened.level }, "the review's first message")
  local chat_line = H.find_line(H.buf_lines(chat.bufnr), "[proposal] " .. id)
  H.ok(chat_line and H.buf_lines(chat.bufnr)[chat_line]:find(" · " .. label .. " · <CR> here", 1, true), "the chat's proposal line shows the checks")

  vim.api.nvim_set_current_win(r.right_win)
  vim.cmd("SkiffAccept!")
  wait_resolved(id, "applied")
  local accepted = H.find_note(notes, "proposal " .. id .. " applied")
  H.ok(accepted, "a message after accepting")
  H.eq({ ("Skiff: proposal %s applied (%s) · checks: %s"):format(id, r.proposal.files[1].hunks[1].id, label), vim.log.levels.INFO }, { accepted.msg, accepted.level }, ":SkiffAccept's echo")
  H.eq({ "def mean(xs):", "    if not xs:", "        return 0.0", "    return sum(xs) / len(xs)" }, H.buf_lines(buf), "buffer after accepting the passing edit")

  -- (2) The test fails: offered anyway, marked.
  set_model("test/oneshot-failing")
  r = ask(buf, "divide the sum by the count plus one")
  id = r.proposal.id
  v = r.proposal.verification
  H.ok(type(v) == "table" and v.ok == false, "the failing edit's checks: " .. vim.inspect(v))
  local failing = vim.tbl_filter(function(c)
    return not c.ok
  end, v.checks)
  H.eq(1, #failing, "one failing check: " .. vim.inspect(v.checks))
  H.eq("tests", failing[1].name, "the failing check")
  H.ok(failing[1].summary:match("^1 of 1 tests? failed$"), "the failing check's summary: " .. failing[1].summary)
  H.eq("syntax ok · " .. failing[1].summary, v.summary, "the summary")
  label = "⚠ " .. failing[1].summary
  local bar = vim.wo[r.left_win].winbar
  H.ok(bar:find("%#DiagnosticWarn#" .. label .. "%*", 1, true), "winbar marks the failing checks: " .. bar)
  drawn = winbar(r.left_win, 400)
  H.eq(1, drawn.str:find(label, 1, true), "winbar text: " .. drawn.str)
  H.eq("DiagnosticWarn", group_at(drawn, 0), "highlight of the failing checks")
  -- A narrow window keeps the checks and truncates the rest.
  drawn = winbar(r.left_win, 40)
  H.eq(1, drawn.str:find(label, 1, true), "narrow winbar still starts with the checks: " .. drawn.str)
  opened = H.find_note(notes, "proposal " .. id .. " checks:")
  H.ok(opened, "a warning when the review opens")
  H.eq({ ("Skiff: proposal %s checks: %s (review before accepting)"):format(id, label), vim.log.levels.WARN }, { opened.msg, opened.level }, "the review's first message (failing)")
  local lines = H.buf_lines(chat.bufnr)
  chat_line = H.find_line(lines, "[proposal] " .. id)
  local col = chat_line and lines[chat_line]:find(label, 1, true)
  H.ok(col, "the chat's proposal line marks the failing checks")
  local marks = vim.api.nvim_buf_get_extmarks(chat.bufnr, -1, { chat_line - 1, 0 }, { chat_line - 1, -1 }, { details = true })
  local warned = vim.tbl_filter(function(m)
    return m[4].hl_group == "DiagnosticWarn" and m[3] == col - 1 and m[4].end_col == col - 1 + #label
  end, marks)
  H.eq(1, #warned, "DiagnosticWarn over the checks in the chat: " .. vim.inspect(marks))

  vim.api.nvim_set_current_win(r.right_win)
  vim.cmd("SkiffAccept!")
  wait_resolved(id, "applied")
  accepted = H.find_note(notes, "proposal " .. id .. " applied")
  H.ok(accepted, "a message after accepting the failing edit")
  H.eq({ ("Skiff: proposal %s applied (%s) · checks: %s"):format(id, r.proposal.files[1].hunks[1].id, label), vim.log.levels.WARN }, { accepted.msg, accepted.level }, ":SkiffAccept's echo (failing)")
  H.eq("    return sum(xs) / (len(xs) + 1)", H.buf_lines(buf)[4], "buffer after accepting the failing edit")

  -- (3) The tool loop: no checks, nothing shown.
  set_model("test/toolloop")
  r = ask(buf, "divide by the count again")
  id = r.proposal.id
  H.eq(nil, r.proposal.verification, "a tool-loop proposal carries no checks")
  bar = vim.wo[r.right_win].winbar
  H.ok(not bar:find("%#Diagnostic", 1, true) and not bar:find("✓", 1, true) and not bar:find("⚠", 1, true), "winbar without checks: " .. bar)
  -- The winbar is fitted to the half-tab window (test_polish.lua); a wide one shows the file too.
  H.eq(1, winbar(r.right_win, 400).str:find("Skiff proposal " .. id, 1, true), "winbar text without checks")
  local wide = require("skiff.review").winbar_for(400):gsub("%%<", "")
  H.eq(1, wide:find("Skiff proposal " .. id .. " · stats.py (1/1)", 1, true), "wide winbar without checks: " .. wide)
  H.eq(nil, H.find_note(notes, "proposal " .. id .. " checks:"), "no checks message")
  vim.cmd("SkiffAccept!")
  wait_resolved(id, "applied")
  accepted = H.find_note(notes, "proposal " .. id .. " applied")
  H.ok(accepted and not accepted.msg:find("checks", 1, true), "the echo without checks: " .. vim.inspect(accepted))
  H.eq(vim.log.levels.INFO, accepted.level, "the echo's level without checks")
end)
