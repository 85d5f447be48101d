-- A turn that fails says why, with the fix, where the user looks: :SkiffAsk's notification at ERROR
-- level (not just "Failed"), no "Skiff: Skiff:" in progress messages, a cancelled ask says so, and
-- proposal statuses read as words.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))

local notes = H.record_notes()

H.run("failed_turn", function()
  H.setup({ model = "test/broken", progress = "notify" })
  local buf = H.open("calc.py")
  local session = require("skiff.session")

  vim.cmd("%SkiffAsk add docstrings")
  local turn = H.wait_turn(1, 20000, "the failing ask turn to end")
  H.eq("error", turn.stop_reason, "stop reason")
  local err = H.find_note(notes, "cannot reach the model server", vim.log.levels.ERROR)
  H.ok(err, "an ERROR notification with the reason: " .. vim.inspect(notes))
  H.ok(err.msg:find("Fix: ", 1, true), "the notification carries the fix: " .. err.msg)
  H.ok(err.msg:sub(1, 7) == "Skiff: " and not err.msg:find("Skiff: Skiff:", 1, true), "one prefix: " .. err.msg)
  H.ok(not H.find_note(notes, "Failed"), "no bare 'Failed' notification: " .. vim.inspect(notes))
  local begin = H.find_note(notes, "(:SkiffCancel stops)")
  H.ok(begin, "a progress notification when the turn starts: " .. vim.inspect(notes))
  H.ok(not begin.msg:find("Skiff: Skiff", 1, true), "no double prefix in progress: " .. begin.msg)
  H.eq("Skiff: add docstrings (:SkiffCancel stops)", begin.msg, "progress message")

  -- Cancelled: said once, as a word.
  local client = require("skiff.client").get()
  client:request_sync("skiff/setModel", { model = "test/slow" }, 5000)
  vim.api.nvim_set_current_buf(buf)
  vim.cmd("1SkiffAsk count slowly")
  H.wait(10000, function()
    return #session.turns == 2 and session.turns[2].text ~= ""
  end, "the slow turn to stream")
  vim.cmd("SkiffCancel")
  H.wait(15000, function()
    return session.turns[2].status == "cancelled"
  end, "the slow turn to be cancelled")
  H.ok(H.find_note(notes, "Skiff: cancelled (calc.py:1-1)", vim.log.levels.INFO), "a cancelled ask says so: " .. vim.inspect(notes))

  -- Status words.
  local util = require("skiff.util")
  H.eq("partly applied", util.status_word("partially_applied"), "partially_applied in words")
  H.eq("waiting for review", util.status_word("pending"), "pending in words")
  H.eq("some new state", util.status_word("some_new_state"), "an unknown status keeps its words")
end)
