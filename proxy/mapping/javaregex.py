"""Java regular expressions (java.util.regex), written out for Python's `re` and for ECMA-262.

A vendor whose server is Java (Opik) validates with Java's regexes: the patterns in its
published spec, e.g. `(?s)^\\s*(\\S.*\\S|\\S)\\s*$` for a project name, mean what Java makes
of them. Java's predefined classes are ASCII where Python's (on str) and ECMA's are Unicode:

    \\s = [ \\t\\n\\x0B\\f\\r]    \\d = [0-9]    \\w = [a-zA-Z_0-9]    (\\S \\D \\W: their complements)
    \\h = horizontal whitespace    \\v = vertical whitespace (Python's \\v is \\x0B alone)

and Java's `.` (without (?s)) and `$` know five line terminators (\\n \\r \\x85 \\u2028 \\u2029,
and \\r\\n as one), where Python's know \\n. Each is written out explicitly, so the text means
in Python (and in ECMA) what it means in Java. A construct outside the subset handled here is
refused (ValueError) when the mapping loads, never guessed.

    to_python(p)  the pattern for `re` (search = Java's find(); fullmatch = Java's matches())
    to_ecma(p)    a JSON Schema pattern (ECMA, which searches) that holds where Java's
                  matches() does: Bean Validation's @Pattern, which Opik's fields use
"""

from __future__ import annotations

_CLASSES = {  # the members of each predefined class, as written inside [...]
    "s": r" \t\n\x0B\f\r",
    "d": "0-9",
    "w": "a-zA-Z_0-9",
    "h": r" \t\xA0\u1680\u180E\u2000-\u200A\u202F\u205F\u3000",
    "v": r"\n\x0B\f\r\x85\u2028\u2029",
}
_SIMPLE = {"t": r"\t", "n": r"\n", "r": r"\r", "f": r"\f", "a": r"\x07", "e": r"\x1B"}
_NOT_TERMINATOR = r"[^\n\r\x85\u2028\u2029]"  # Java's `.` without DOTALL
_FINAL_TERMINATOR = r"(?:\r\n|(?<!\r)\n|[\r\x85\u2028\u2029])?"  # what Java's `$` and `\Z` may stand before
_META = set("\\^$.|?*+()[]{}/-")


def to_python(pattern: str) -> str:
    return _Translator(pattern, "python").run()


def to_ecma(pattern: str) -> str:
    return "^(?:" + _Translator(pattern, "ecma").run() + ")$"


class _Translator:
    def __init__(self, pattern: str, target: str):
        self.p, self.target, self.i, self.out = pattern, target, 0, []
        self.dotall = False

    def run(self) -> str:
        if self.p.startswith("(?s)"):  # the one inline flag handled: DOTALL, for the whole pattern
            self.dotall, self.i = True, 4
            if self.target == "python":
                self.out.append("(?s)")
        while self.i < len(self.p):
            c = self.p[self.i]
            self.i += 1
            if c == "\\":
                self.out.append(self._escape())
            elif c == "[":
                self.out.append(self._class())
            elif c == ".":
                self.out.append(("." if self.target == "python" else r"[\s\S]") if self.dotall else _NOT_TERMINATOR)
            elif c == "$":
                self.out.append(self._end_but_final_terminator())
            elif c == "(":
                self.out.append(self._group())
            else:
                self.out.append(c)
        return "".join(self.out)

    def _end(self) -> str:
        return r"\Z" if self.target == "python" else "$"

    def _end_but_final_terminator(self) -> str:
        return f"(?={_FINAL_TERMINATOR}{self._end()})"

    def _unsupported(self, what: str) -> ValueError:
        return ValueError(f"Java pattern {self.p!r}: {what} is not supported")

    def _group(self) -> str:
        rest = self.p[self.i :]
        if not rest.startswith("?"):
            return "("
        for opener in ("?:", "?=", "?!", "?<=", "?<!"):
            if rest.startswith(opener):
                self.i += len(opener)
                return "(" + opener
        if rest.startswith("?<"):  # a named group
            end = rest.find(">")
            if end < 0:
                raise self._unsupported("an unclosed group name")
            name = rest[2:end]
            self.i += end + 1
            return f"(?P<{name}>" if self.target == "python" else f"(?<{name}>"
        raise self._unsupported(f"the group {'(' + rest[:3]!r}")

    def _escape(self) -> str:
        if self.i >= len(self.p):
            raise self._unsupported("a trailing backslash")
        c = self.p[self.i]
        self.i += 1
        if c in _CLASSES:
            return f"[{_CLASSES[c]}]"
        if c.lower() in _CLASSES:
            return f"[^{_CLASSES[c.lower()]}]"
        if c in _SIMPLE:
            return _SIMPLE[c]
        if c == "z":
            return self._end()
        if c == "Z":
            return self._end_but_final_terminator()
        if c == "A":
            return r"\A" if self.target == "python" else "^"
        if c == "k" and self.p[self.i : self.i + 1] == "<" and ">" in self.p[self.i :]:  # a named back-reference
            end = self.p.index(">", self.i)
            name, self.i = self.p[self.i + 1 : end], end + 1
            return f"(?P={name})" if self.target == "python" else f"\\k<{name}>"
        if c == "Q":
            end = self.p.find(r"\E", self.i)
            end = len(self.p) if end < 0 else end
            quoted, self.i = self.p[self.i : end], end + 2
            return "".join("\\" + q if q in _META else q for q in quoted)
        return self._code(c, "outside a class")

    def _code(self, c: str, where: str) -> str:
        """An escape that means the same in Java, Python and ECMA: a character by its code, an
        escaped punctuation mark, a back-reference."""
        if c == "x" and self.p[self.i : self.i + 1] == "{":
            end = self.p.find("}", self.i)
            code = int(self.p[self.i + 1 : end], 16) if end > 0 else 0x110000
            if code > 0xFFFF:
                raise self._unsupported(r"\x{...} beyond U+FFFF")
            self.i = end + 1
            return f"\\u{code:04X}"
        if c in "xu":
            return "\\" + c
        if c.isdigit() and c != "0" and where == "outside a class":
            return "\\" + c
        if not c.isalnum():
            return "\\" + c
        raise self._unsupported(f"the escape \\{c} {where}")

    def _class(self) -> str:
        out = ["["]
        if self.p[self.i : self.i + 1] == "^":
            out.append("^")
            self.i += 1
        first = True
        while True:
            if self.i >= len(self.p):
                raise self._unsupported("an unclosed character class")
            c = self.p[self.i]
            self.i += 1
            if c == "]" and not first:
                out.append("]")
                return "".join(out)
            first = False
            if c == "]" or c == "[" or (c == "&" and self.p[self.i : self.i + 1] == "&"):
                raise self._unsupported("a nested class, an intersection or a leading ']'")
            if c != "\\":
                out.append(c)
                continue
            e = self.p[self.i : self.i + 1]
            self.i += 1
            if e in _CLASSES:
                out.append(_CLASSES[e])
            elif e in _SIMPLE:
                out.append(_SIMPLE[e])
            elif e.lower() in _CLASSES:
                raise self._unsupported(f"the complement \\{e} inside a class")
            else:
                out.append(self._code(e, "inside a class"))
