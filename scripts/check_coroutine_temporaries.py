#!/usr/bin/python3
"""Finds the temporaries GCC 12 destroys twice inside a co_await expression.

GCC 12 (Debian 12's compiler) mis-handles two kinds of temporary in a
full-expression that contains co_await: it runs their destructor twice, on
normal completion as well as when the frame is destroyed while suspended
(measured with a counting type: one construction, two destructions). With a
shared_ptr inside, that is a double release and a corrupted heap; it broke
lb-proxy's exit until Worker::accept_loop named its arguments (ffef91d).

1. A lambda with a by-value capture, written inside the co_await expression:
   `co_await f([p] { ... })`, `co_await async_compose([s = std::move(x)] ...)`.
2. A braced initializer of a named type: `co_await f(Room{*this, acceptor})`.
3. A co_await inside a braced initializer: `Reply r{200, co_await body()}`.

Name such a value as a local first; a local is destroyed once. A named
type that is trivially destructible is harmless: mark the line with
`// coroutine-temporary: trivial` to accept it. Captures by reference
(`[&]`, `[this]`, `[&x]`), prvalues returned by functions, class types with
constructors written with parentheses and `{}` are not affected.

Usage: scripts/check_coroutine_temporaries.py [SOURCE_ROOT]. Prints each
case as file:line: message and exits 1 if there is one.
    scripts/check_coroutine_temporaries.py --self-test
"""
import pathlib
import re
import sys

FOLDERS = ["common", "config", "lb", "ha", "ctl"]
ACCEPT = "coroutine-temporary: trivial"
# std::chrono durations and Asio's value types are trivially destructible.
TRIVIAL_TYPES = re.compile(r"(milliseconds|seconds|microseconds|nanoseconds|minutes|hours|Milliseconds|Seconds|"
                           r"Duration|endpoint|address_v4|address_v6)$")
LAMBDA = re.compile(r"\[([^\[\]]*)\]\s*(?:\(|\{|mutable\b|->)")
NAMED_BRACE = re.compile(r"([A-Za-z_][A-Za-z0-9_:<>]*)\s*\{\s*([^}\s])")


def strip_comments(text: str) -> str:
    """TEXT with // and /* */ comments blanked (newlines kept) and string
    literals emptied, so offsets and line numbers stay the same."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text[i] == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('"' + " " * (min(j, n - 1) - i - 1) + '"')
            i = j + 1
        elif text[i] == "'" and i + 2 < n and (text[i + 2] == "'" or text[i + 1] == "\\"):
            j = text.find("'", i + 2 if text[i + 1] == "\\" else i + 1) + 1
            out.append(" " * (j - i))
            i = j
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def by_value_captures(captures: str) -> bool:
    for c in (c.strip() for c in captures.split(",")):
        if c and c not in ("&", "this", "*this") and not c.startswith("&"):
            return True
    return False


def statement_after(code: str, at: int) -> str:
    """The rest of the full-expression from AT: up to the ';' (or the
    unbalanced closer) that ends it, lambda bodies included."""
    depth, i = 0, at
    while i < len(code):
        c = code[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth < 0:
                break
        elif c == ";" and depth == 0:
            break
        i += 1
    return code[at:i]


def enclosing_braces(code: str, at: int) -> str:
    """The text from the innermost unclosed '{' before AT (in this
    statement) to AT, or '' when AT is not inside a braced initializer."""
    depth, i = 0, at - 1
    while i >= 0:
        c = code[i]
        if c in ")]}":
            depth += 1
        elif c in "([":
            depth -= 1 if depth else 0
        elif c == "{":
            if depth == 0:
                before = code[max(0, i - 80):i].rstrip()
                # A block or a lambda body opens a new statement; an
                # initializer follows a name, '=', '(' or ','.
                if not before or before[-1] in ")>;{}" or re.search(r"\b(else|do|try|mutable)$", before):
                    return ""
                return code[i:at]
            depth -= 1
        elif c == ";" and depth == 0:
            return ""
        i -= 1
    return ""


def check_text(text: str, name: str = "<text>"):
    """Problems in one source text: [(line, message)]."""
    code = strip_comments(text)
    lines = text.splitlines()
    problems = []
    for m in re.finditer(r"\bco_await\b", code):
        line = code.count("\n", 0, m.start()) + 1
        if ACCEPT in lines[line - 1]:
            continue
        rest = statement_after(code, m.end())
        for lam in LAMBDA.finditer(rest):
            if by_value_captures(lam.group(1)):
                problems.append((line, f"a lambda capturing by value ([{lam.group(1).strip()}]) inside a co_await "
                                       "expression: GCC 12 destroys it twice; name it as a local first"))
                break
        for brace in NAMED_BRACE.finditer(rest):
            type_name = brace.group(1)
            if TRIVIAL_TYPES.search(type_name) or type_name in ("return", "co_return"):
                continue
            problems.append((line, f"a braced {type_name}{{...}} inside a co_await expression: GCC 12 destroys it "
                                   f"twice; name it as a local first (or mark the line `// {ACCEPT}`)"))
            break
        if enclosing_braces(code, m.start()):
            problems.append((line, "a co_await inside a braced initializer: GCC 12 destroys the initializer's "
                                   "temporaries twice; co_await into a local first"))
    return problems


SELF_TEST = [
    ("co_await accept_loop(s, [acceptor] { return acceptor->closed; }, on_accept);", 1),
    ("co_await accept_loop(s, closed, on_accept, ListenerRoom{*this, acceptor});", 1),
    ("AdminReply reply{200, \"application/json\", co_await body()};", 1),
    ("co_await async_compose([s = std::move(state)](auto& self) { self.complete(); }, token);", 1),
    ("co_await accept_loop(s, std::move(closed), std::move(on_accept), std::move(room));", 0),
    ("co_await run([&] { return 1; }, [this] { return 2; }, [&x] { return 3; });", 0),
    ("co_await probe(io, tcp::endpoint(a, p), Milliseconds{300});", 0),
    ("co_await write_error(error_response(s, {keep_alive, head}), s);", 0),
    ("co_await write(ErrorStyle{true, false});  // coroutine-temporary: trivial", 0),
    ("if (x) { co_await f(); }", 0),
    ("co_spawn(io, [s = std::move(s)]() -> awaitable<void> { co_await s->connect(); }, detached);", 0),
    ("auto got = co_await (read(sock, payload) || idle.async_wait(use_nothrow));", 0),
]


def self_test() -> int:
    failed = 0
    for text, want in SELF_TEST:
        got = len(check_text(text))
        if got != want:
            print(f"self-test: {text!r}: {got} problem(s), want {want}")
            failed += 1
    print("self-test: ok" if not failed else f"self-test: {failed} failed")
    return 1 if failed else 0


def main(argv) -> int:
    if argv[1:] == ["--self-test"]:
        return self_test()
    root = pathlib.Path(argv[1] if len(argv) > 1 else ".")
    found = 0
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in (".h", ".cpp") or "fuzz" in path.parts:
                continue
            for line, message in check_text(path.read_text(encoding="utf-8", errors="replace"), str(path)):
                print(f"{path.relative_to(root)}:{line}: {message}")
                found += 1
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
