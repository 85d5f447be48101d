-- (3) :SkiffCancel stops a slow turn; the next prompt in the same session works.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))

H.run("cancel", function()
  H.setup({ model = "test/slow" })
  local chat = require("skiff.chat")
  local session = require("skiff.session")

  -- No file open: the chat starts the server without a buffer.
  vim.cmd("SkiffChat count for me")
  H.wait(20000, function()
    return chat.bufnr and H.find_line(H.buf_lines(chat.bufnr), "Counting slowly") ~= nil
  end, "the slow reply to start streaming")
  local turn = session.turns[1]
  H.eq("running", turn.status, "turn status while streaming")
  -- $/progress for the turn's workDoneToken feeds the statusline function.
  H.wait(3000, function()
    return require("skiff.client").progress[turn.token] ~= nil
  end, "$/progress for the turn's token")
  H.ok(require("skiff").statusline():find("^skiff: "), "statusline while running: " .. require("skiff").statusline())

  local t0 = vim.uv.hrtime()
  vim.cmd("SkiffCancel")
  H.wait(5000, function()
    return turn.status ~= "running" and turn.status ~= "cancelling"
  end, "the turn to stop after :SkiffCancel")
  H.eq("cancelled", turn.status, "turn status after cancel")
  H.wait(3000, function()
    return require("skiff").statusline() == ""
  end, "the statusline to clear after the cancel")
  local elapsed = (vim.uv.hrtime() - t0) / 1e6
  H.ok(elapsed < 3000, ("cancel took %.0f ms"):format(elapsed))

  -- The turn really stopped: nothing more is streamed.
  local text_after = turn.text
  local lines_after = table.concat(H.buf_lines(chat.bufnr), "\n")
  vim.wait(600)
  H.eq(text_after, turn.text, "no text streamed after the cancel")
  H.ok(not lines_after:find("END-OF-LONG-REPLY", 1, true), "the slow reply must not have finished")
  H.ok(H.find_line(H.buf_lines(chat.bufnr), "[cancelled]") ~= nil, "the chat shows [cancelled]")
  local client = require("skiff.client").get()
  local status = client:request_sync("skiff/status", vim.empty_dict(), 5000)
  H.ok(status and status.result and status.result.busy == false, "server busy after cancel: " .. vim.inspect(status))

  -- A following request in the same session works.
  vim.cmd("SkiffChat and now?")
  local second = H.wait_turn(2, 10000, "the second turn to finish")
  H.eq("done", second.status, "second turn status")
  H.eq(turn.session_id, second.session_id, "the second turn continues the session")
  H.ok(second.text:find("Second answer.", 1, true), "second reply text: " .. second.text)
  H.ok(H.find_line(H.buf_lines(chat.bufnr), "Second answer.") ~= nil, "the second reply is in the chat buffer")
end)
