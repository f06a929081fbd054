-- A busy script must stay killable: the count hook has to fire inside a tight loop.
local fired = 0
debug.sethook(function()
  fired = fired + 1
  if fired >= 10 then error("killed by the hook") end
end, "", 100000)
local ok, err = pcall(function() local i = 0 while true do i = i + 1 end end)
debug.sethook()
print("loop ended:", ok, err)
