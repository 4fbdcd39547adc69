scenario { duration = "1s" }
local ok, e = pcall(include, "../x.lua")
local ok2 = pcall(setmetatable, {}, { __gc = print })
local s = ("a"):rep(30)
local ok3 = pcall(string.find, s, ("a?"):rep(30) .. s)
service "a" { work = "1ms" }
traffic { rate = 10, mix = { a = 1 } }
