-- Kernels shaped like what Redis scripts do between redis.call()s, timed per VM.
local function time(name, n, fn)
  local t0 = os.clock()
  fn(n)
  local dt = os.clock() - t0
  io.write(string.format("%-14s %8.1f ns/iter\n", name, dt * 1e9 / n))
end

-- A token-bucket rate limiter's arithmetic on values read back as strings.
time("ratelimit", 2000000, function(n)
  local tokens, last = "10", "1700000000.5"
  for i = 1, n do
    local now = 1700000000.5 + i * 0.001
    local t = tonumber(tokens) + (now - tonumber(last)) * 5
    if t > 10 then t = 10 end
    if t >= 1 then t = t - 1 end
    tokens, last = tostring(t), tostring(now)
  end
end)

-- Building a reply: a table of fields, concatenated.
time("concat", 500000, function(n)
  for i = 1, n do
    local parts = {}
    for j = 1, 10 do parts[j] = "field" .. j .. ":" .. (i + j) end
    local s = table.concat(parts, ",")
    if #s == 0 then error("empty") end
  end
end)

-- Pure arithmetic.
time("numeric", 20000000, function(n)
  local s = 0
  for i = 1, n do s = s + (i % 7) * 3 end
  if s < 0 then error("neg") end
end)

-- Sorting a leaderboard page.
time("sort1000", 2000, function(n)
  local seed = 1
  for _ = 1, n do
    local t = {}
    for k = 1, 1000 do seed = (seed * 1103515245 + 12345) % 2147483648; t[k] = seed end
    table.sort(t)
  end
end)

-- String scanning (parsing a member list).
time("gmatch", 200000, function(n)
  local line = "alpha beta gamma delta epsilon zeta eta theta iota kappa"
  for _ = 1, n do
    local c = 0
    for w in line:gmatch("%a+") do c = c + #w end
    if c == 0 then error("none") end
  end
end)
