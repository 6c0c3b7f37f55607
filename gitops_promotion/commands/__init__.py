"""Command functions: typed input, a Result out; no click, no printing (STYLE 2)."""
