-- The review winbar fits its window (what fits, in order, never wider than the window; fitted again
-- when the window is resized), and a partly accepted proposal is echoed in words.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))

local notes = H.record_notes()

local function drawn(win)
  local width = vim.api.nvim_win_get_width(win)
  local bar = vim.api.nvim_eval_statusline(vim.wo[win].winbar, { winid = win, use_winbar = true, maxwidth = 1000 })
  return bar.str, bar.width, width
end

H.run("polish", function()
  H.setup({ model = "test/edit" })
  local buf = H.open("calc.py")
  local r = H.ask_review("1,10SkiffAsk add docstrings")
  local review = require("skiff.review")
  local id = r.proposal.id

  -- Two halves of 80 columns: what fits, drawn whole, no wider than the window, the checks first.
  local text, width, win_width = drawn(r.right_win)
  H.ok(width <= win_width, ("winbar %d wide in a %d-column window: %s"):format(width, win_width, text))
  H.eq(1, text:find("✓ syntax ok", 1, true), "winbar starts with the checks: " .. text)

  -- A wider window shows more: fitted again on resize.
  vim.api.nvim_win_set_width(r.right_win, vim.o.columns - 4)
  vim.api.nvim_exec_autocmds("WinResized", {})
  text, width, win_width = drawn(r.right_win)
  H.ok(width <= win_width, ("winbar %d wide in a %d-column window: %s"):format(width, win_width, text))
  H.eq("✓ syntax ok · Skiff proposal " .. id .. " · calc.py (1/1)", text, "winbar after widening the window")
  local narrow = drawn(r.left_win)
  H.eq(1, narrow:find("✓ syntax ok", 1, true), "the narrow side keeps the checks: " .. narrow)
  H.ok(not narrow:find("Skiff proposal", 1, true), "the narrow side drops what does not fit: " .. narrow)
  -- A window as wide as a big screen gets everything, key hints included.
  local wide = vim.api.nvim_eval_statusline(review.winbar_for(200), { use_winbar = true, winid = r.right_win, maxwidth = 1000 }).str
  H.eq(
    "✓ syntax ok · Skiff proposal " .. id .. " · calc.py (1/1) · 0 accepted, 0 rejected, 2 pending"
      .. " · ga/gr hunk · gA/gR all · gs submit · ]f/[f file · q close",
    wide,
    "winbar for 200 columns"
  )

  -- Accept one hunk, reject the other: "partly applied", not partially_applied.
  local file = r.proposal.files[1]
  review.decide(file.hunks[1].id, "accept")
  review.decide(file.hunks[2].id, "reject")
  H.wait_proposal(id, "partially_applied", "the proposal to be partly applied")
  local echoed
  for _, n in ipairs(notes) do
    if n.msg:find("proposal " .. id, 1, true) then
      echoed = n.msg
    end
  end
  H.ok(echoed and echoed:find("partly applied", 1, true), "echo in words: " .. tostring(echoed))
  H.ok(not echoed:find("partially_applied", 1, true), "no raw status word: " .. echoed)
  H.ok(#H.buf_lines(buf) == 11, "one docstring line added")
end)
