-- (2) :SkiffChat streams the reply into the chat buffer: prompt, streamed text, the tool-call line
-- and the final answer, in that order.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))

H.run("chat", function()
  H.setup({ model = "test/chat" })
  H.open("calc.py")
  local chat = require("skiff.chat")
  local session = require("skiff.session")

  -- Snapshots of the chat buffer at each text chunk: the text must grow chunk by chunk.
  local chunks, snapshots = 0, {}
  vim.api.nvim_create_autocmd("User", {
    pattern = "SkiffUpdate",
    callback = function(args)
      if args.data.kind == "agent_message_chunk" then
        chunks = chunks + 1
        table.insert(snapshots, table.concat(H.buf_lines(chat.bufnr), "\n"))
      end
    end,
  })

  vim.cmd("SkiffChat")
  H.eq(chat.bufnr, vim.api.nvim_get_current_buf(), "the chat buffer is current")
  -- Type the prompt below the prompt line and press <CR> (the buffer-local mapping).
  local last = vim.api.nvim_buf_line_count(chat.bufnr)
  vim.api.nvim_buf_set_lines(chat.bufnr, last - 1, last, false, { "What does calc.py do?" })
  vim.api.nvim_win_set_cursor(0, { last, 0 })
  vim.api.nvim_feedkeys(vim.keycode("<CR>"), "mx", false)

  H.wait_turn(1, 20000, "the chat turn to finish")
  H.eq("done", session.turns[1].status, "turn status")
  H.ok(session.turns[1].session_id ~= nil, "the turn learned its session id")
  H.eq(session.turns[1].session_id, chat.session_id, "the chat continues this session")

  local lines = H.buf_lines(chat.bufnr)
  local you = H.find_line(lines, "## You")
  local prompt = H.find_line(lines, "What does calc.py do?", you)
  local first = H.find_line(lines, "Let me read calc.py first.", prompt)
  local tool
  for i = (first or 1), #lines do
    if lines[i]:match("^%[tool%] ") then
      tool = i
      break
    end
  end
  local answer = H.find_line(lines, "calc.py defines add, mul and sub.", tool)
  local marker = H.find_line(lines, chat.MARKER, answer)
  H.ok(you and prompt and first and tool and answer and marker,
    ("transcript out of order: you=%s prompt=%s first=%s tool=%s answer=%s marker=%s"):format(
      tostring(you), tostring(prompt), tostring(first), tostring(tool), tostring(answer), tostring(marker)))
  H.ok(lines[tool]:find("read", 1, true), "tool line names the read tool: " .. lines[tool])
  H.ok(lines[tool]:find("✓ done", 1, true), "tool line shows completion in words: " .. lines[tool])
  -- Nothing left in the prompt section.
  H.eq("", chat.prompt_text(), "prompt section after sending")

  -- Streaming: several chunks, and an intermediate snapshot with only part of the first text.
  H.ok(chunks >= 3, "expected the reply in several chunks, got " .. chunks)
  local partial = false
  for _, s in ipairs(snapshots) do
    if s:find("Let me", 1, true) and not s:find("Let me read calc.py first.", 1, true) then
      partial = true
    end
  end
  H.ok(partial, "no snapshot showed a partially streamed reply")
end)
