-- Small helpers shared by the Skiff modules: notifications, LSP positions, diagnostics, text hunks.
local M = {}

local PREFIX = "Skiff: "

---@param msg string
---@param level? integer vim.log.levels.*
function M.notify(msg, level)
  vim.notify(PREFIX .. msg, level or vim.log.levels.INFO, { title = "Skiff" })
end

function M.warn(msg)
  M.notify(msg, vim.log.levels.WARN)
end

function M.error(msg)
  M.notify(msg, vim.log.levels.ERROR)
end

-- Words for the status values of the protocol (proposals, tool calls, turn stop reasons).
local STATUS_WORDS = {
  pending = "waiting for review",
  applied = "applied",
  partially_applied = "partly applied",
  rejected = "rejected",
  undone = "undone",
  in_progress = "running",
  completed = "done",
  failed = "failed",
  end_turn = "done",
  max_turn_requests = "stopped: it reached the model-call limit of its profile (turnCap)",
  cancelled = "cancelled",
  error = "failed",
  refusal = "the model refused",
}

--- A status value of the protocol in words ("partially_applied" -> "partly applied").
---@param status string?
---@return string
function M.status_word(status)
  if status == nil then
    return "unknown"
  end
  return STATUS_WORDS[status] or (tostring(status):gsub("_", " "))
end

--- The checks that travel with a proposal (its `verification`, docs/protocol.md) as one line:
--- "✓ syntax ok · 4 tests passed" when they passed, only the failing ones marked when not:
--- "⚠ 1 of 4 tests failed". Returns the label, whether the checks passed, and the highlight group to
--- show it with; nil when the proposal carries no checks.
---@param verification table?
---@return string?, boolean?, string?
function M.checks_label(verification)
  local v = verification
  if type(v) ~= "table" or type(v.summary) ~= "string" or vim.trim(v.summary) == "" then
    return nil
  end
  if v.ok ~= false then
    return "✓ " .. v.summary, true, "DiagnosticOk"
  end
  local failed = {}
  for _, c in ipairs(type(v.checks) == "table" and v.checks or {}) do
    if type(c) == "table" and c.ok == false and type(c.summary) == "string" and c.summary ~= "" then
      table.insert(failed, c.summary)
    end
  end
  return "⚠ " .. (#failed > 0 and table.concat(failed, " · ") or v.summary), false, "DiagnosticWarn"
end

--- Formats an LSP ResponseError (or any value) for a message.
function M.format_err(err)
  if type(err) == "table" then
    local code = err.code and (" (" .. tostring(err.code) .. ")") or ""
    return tostring(err.message or vim.inspect(err)) .. code
  end
  return tostring(err)
end

--- Encoding-aware column conversion (0.11: vim.str_utfindex(s, encoding, index, strict)).
---@param line string
---@param col integer byte column
---@param encoding string "utf-8" | "utf-16" | "utf-32"
---@return integer
function M.byte_to_char(line, col, encoding)
  col = math.max(0, math.min(col, #line))
  if encoding == "utf-8" then
    return col
  end
  local ok, idx = pcall(vim.str_utfindex, line, encoding, col, false)
  return ok and idx or col
end

---@param line string
---@param char integer column in `encoding` units
---@param encoding string
---@return integer byte column
function M.char_to_byte(line, char, encoding)
  if encoding == "utf-8" then
    return math.max(0, math.min(char, #line))
  end
  local ok, idx = pcall(vim.str_byteindex, line, encoding, char, false)
  if not ok then
    return math.min(char, #line)
  end
  return math.min(idx, #line)
end

---@param bufnr integer
---@param row integer 0-based
---@return string
local function buf_line(bufnr, row)
  return vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
end

--- An LSP position for (row, byte column) in a buffer.
function M.position(bufnr, row, col, encoding)
  local line_count = vim.api.nvim_buf_line_count(bufnr)
  if row >= line_count then
    row = math.max(0, line_count - 1)
    col = #buf_line(bufnr, row)
  end
  return { line = row, character = M.byte_to_char(buf_line(bufnr, row), col, encoding) }
end

--- LSP range covering whole lines line1..line2 (1-based, inclusive).
function M.line_range(bufnr, line1, line2, encoding)
  local last = buf_line(bufnr, line2 - 1)
  return {
    start = { line = line1 - 1, character = 0 },
    ["end"] = { line = line2 - 1, character = M.byte_to_char(last, #last, encoding) },
  }
end

--- All diagnostics of a buffer (every source: LSP servers, linters through vim.diagnostic.set, ...)
--- converted to LSP Diagnostic objects in the client's position encoding.
---@param bufnr integer
---@param encoding string
---@return table[]
function M.lsp_diagnostics(bufnr, encoding)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local orig = type(d.user_data) == "table" and d.user_data.lsp or nil
    local end_lnum = d.end_lnum or d.lnum
    local end_col = d.end_col or d.col
    local source = d.source
    if not source then
      local ns = vim.diagnostic.get_namespace(d.namespace)
      source = ns and ns.name or nil
    end
    local item = {
      range = {
        start = M.position(bufnr, d.lnum, d.col or 0, encoding),
        ["end"] = M.position(bufnr, end_lnum, end_col, encoding),
      },
      severity = d.severity,
      message = d.message,
      source = source,
    }
    if d.code ~= nil and (type(d.code) == "string" or type(d.code) == "number") then
      item.code = d.code
    end
    if orig and orig.data ~= nil then
      item.data = orig.data
    end
    table.insert(out, item)
  end
  return out
end

--- Splits text into lines the way a buffer holds it (a trailing newline ends the last line).
---@param text string
---@return string[]
function M.text_to_lines(text)
  local lines = vim.split(text, "\n", { plain = true })
  if #lines > 1 and lines[#lines] == "" then
    table.remove(lines)
  end
  return lines
end

---@param text string
---@return integer
function M.count_newlines(text)
  local _, n = text:gsub("\n", "")
  return n
end

--- Byte offset in `text` of an LSP position.
---@param text string
---@param pos {line: integer, character: integer}
---@param encoding string
---@return integer 0-based byte offset
function M.offset_of(text, pos, encoding)
  local offset = 0
  local line = 0
  while line < pos.line do
    local nl = text:find("\n", offset + 1, true)
    if not nl then
      return #text
    end
    offset = nl
    line = line + 1
  end
  local nl = text:find("\n", offset + 1, true)
  local line_text = text:sub(offset + 1, nl and nl - 1 or #text)
  return offset + M.char_to_byte(line_text, pos.character, encoding)
end

--- Applies hunks ({range, newText}) to `base`; ranges are in `base` coordinates.
---@param base string
---@param hunks table[]
---@param encoding string
---@return string
function M.apply_hunks(base, hunks, encoding)
  local sorted = vim.deepcopy(hunks)
  table.sort(sorted, function(a, b)
    local sa, sb = a.range.start, b.range.start
    if sa.line ~= sb.line then
      return sa.line > sb.line
    end
    return sa.character > sb.character
  end)
  local text = base
  for _, h in ipairs(sorted) do
    local s = M.offset_of(base, h.range.start, encoding)
    local e = M.offset_of(base, h.range["end"], encoding)
    text = text:sub(1, s) .. (h.newText or "") .. text:sub(e + 1)
  end
  return text
end

--- The buffer lines (0-based, inclusive `first`, exclusive `last`) that text inserted at `pos`
--- occupies. An empty text gives an empty span (first == last).
---@param pos {line: integer, character: integer}
---@param text string
---@return {first: integer, last: integer}
function M.text_span(pos, text)
  if text == "" then
    return { first = pos.line, last = pos.line }
  end
  local n = M.count_newlines(text)
  local ends_nl = text:sub(-1) == "\n"
  local last_incl = pos.line + n - ((ends_nl and pos.character == 0) and 1 or 0)
  if last_incl < pos.line then
    last_incl = pos.line
  end
  return { first = pos.line, last = last_incl + 1 }
end

--- The lines of the base document a hunk range covers.
function M.range_span(range)
  local s, e = range.start, range["end"]
  if s.line == e.line and s.character == e.character then
    return { first = s.line, last = s.line }
  end
  local last_incl = e.line
  if e.character == 0 and e.line > s.line then
    last_incl = e.line - 1
  end
  return { first = s.line, last = last_incl + 1 }
end

--- Picks the span under 0-based `row`: containment first, then an empty span (a pure insertion or
--- deletion shown as filler lines) on the row just before or at it.
---@param spans {first: integer, last: integer, id: string}[]
---@param row integer
---@return string?
function M.span_at(spans, row)
  for _, s in ipairs(spans) do
    if s.first < s.last and row >= s.first and row < s.last then
      return s.id
    end
  end
  for _, s in ipairs(spans) do
    if s.first == s.last and (row == s.first or row == s.first - 1) then
      return s.id
    end
  end
  return nil
end

---@param bufnr integer
---@return boolean
function M.is_file_buffer(bufnr)
  return vim.api.nvim_buf_is_valid(bufnr)
    and vim.bo[bufnr].buftype == ""
    and vim.api.nvim_buf_get_name(bufnr) ~= ""
end

function M.trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

--- First line of a string, cut to `max` characters.
function M.first_line(s, max)
  s = tostring(s or "")
  local line = s:match("^[^\n]*") or ""
  max = max or 80
  if vim.fn.strchars(line) > max then
    line = vim.fn.strcharpart(line, 0, max - 1) .. "…"
  end
  return line
end

return M
