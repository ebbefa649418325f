"""A wrong command line said in Chinese, in one line: click's own messages are English
sentences (``No such option '--nope'.``), so each kind of mistake is said here again,
naming the option, argument or command it is about."""

from __future__ import annotations

import re

import click

_GIVEN = re.compile(r"^'?(.*?)'? is not ")


def usage_message(e: click.ClickException) -> str:
    """The line for a click error; the option or argument named as typed."""
    said = _said(e)
    ctx = getattr(e, "ctx", None)
    if isinstance(e, click.UsageError) and ctx is not None and ctx.parent is not None:
        said += f"（用法见 `govsearch {ctx.info_name} --help`）"
    return said


def _said(e: click.ClickException) -> str:
    if isinstance(e, click.NoSuchOption):
        if not e.option_name.startswith("--"):          # -发展, -GDP: a query's NOT word taken for options
            return (f"没有 {e.option_name} 这个选项：带 -词（排除）的检索式请整个放在引号里，"
                    f"以 - 开头时再放在 -- 之后，例如 govsearch query \"营商环境 -发展\"、"
                    f"govsearch query -- \"-发展 营商环境\"")
        close = "、".join(e.possibilities or ())
        return f"没有 {e.option_name} 这个选项" + (f"，是不是 {close}？" if close else "")
    if isinstance(e, click.MissingParameter):
        return f"缺少{_param_hint(e)}"
    if isinstance(e, click.BadParameter):
        return _bad_value(e)
    if isinstance(e, click.BadOptionUsage):
        return _bad_option_usage(e)
    message = e.format_message()
    unknown = _NO_COMMAND.match(message)
    if unknown:
        ctx = e.ctx
        known = "、".join(ctx.command.list_commands(ctx)) if ctx is not None else ""
        return f"没有 {unknown.group(1)} 这个命令" + (f"：命令有 {known}" if known else "")
    for pattern, words in _USAGE_SENTENCES:
        m = pattern.match(message)
        if m:
            return words.format(*m.groups())
    return f"命令行有误（{message}）"


_NO_COMMAND = re.compile(r"No such command '(.*)'\.")
_USAGE_SENTENCES = (
    (re.compile(r"Got unexpected extra arguments? \((.*)\)"), "多出了参数 {0}（含空格的值要用引号括起来）"),
)


def _param_hint(e) -> str:
    param = getattr(e, "param", None)
    if param is None:
        return "参数"
    if isinstance(param, click.Argument):
        return f"参数 {param.human_readable_name}"
    return f"选项 {param.opts[0]}"


def _bad_value(e: click.BadParameter) -> str:
    param = e.param
    hint = _param_hint(e)
    kind = getattr(param, "type", None)
    given = _GIVEN.match(e.message or "")
    got = (f"，给的是 {given.group(1)[:40]}" if given.group(1) else "，没有给值") if given else ""
    if isinstance(kind, click.Choice):
        return f"{hint} 只能是 {'、'.join(map(str, kind.choices))} 之一{got}"
    if isinstance(kind, (click.IntRange, click.FloatRange)):
        return f"{hint} 要是{_range_words(kind)}{got}"
    if kind is click.INT:
        return f"{hint} 要是整数{got}"
    if kind is click.FLOAT:
        return f"{hint} 要是一个数{got}"
    if any("\u4e00" <= ch <= "\u9fff" for ch in e.message or ""):
        return f"{hint} 的值不对：{e.message}"                   # our own types say it in Chinese
    return f"{hint} 的值不对（{e.message}）"


def _bad_option_usage(e: click.BadOptionUsage) -> str:
    message = e.message or ""
    if "requires" in message:
        return f"选项 {e.option_name} 后面要跟一个值"
    if "does not take a value" in message:
        return f"选项 {e.option_name} 是开关，不跟值：写 {e.option_name} 就够了"
    return f"选项 {e.option_name} 用法不对（{message}）"


# --------------------------------------------------------------------------- help pages

class ChineseHelpFormatter(click.HelpFormatter):
    """Help pages with click's own words (Usage:, Options:, Commands:) in Chinese."""

    HEADINGS = {"Options": "选项", "Commands": "命令", "Arguments": "参数"}

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix="用法：")

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{self.HEADINGS.get(heading, heading)}：\n")


class ChineseContext(click.Context):
    formatter_class = ChineseHelpFormatter


class _ChineseHelp:
    context_class = ChineseContext

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "显示本帮助并退出。"
        return option


class ChineseCommand(_ChineseHelp, click.Command):
    pass


class ChineseGroup(_ChineseHelp, click.Group):
    command_class = ChineseCommand


def _range_words(kind) -> str:
    """``1 到 256 之间的整数``; a range open at one end says its one bound."""
    whole = "整数" if isinstance(kind, click.IntRange) else "数"
    low, high = _number(kind.min), _number(kind.max)
    if low and high:
        return f" {low} 到 {high} 之间的{whole}"
    if low:
        return f"不小于 {low} 的{whole}"
    return f"不大于 {high} 的{whole}" if high else whole


def _number(bound) -> str:
    """A bound as written: 1000000, not 1e+06; 0.1 as 0.1; no bound as ''."""
    if bound is None:
        return ""
    return str(int(bound)) if float(bound).is_integer() else repr(float(bound))


# --------------------------------------------------------------------------- search/'s words

_PARAMETER = re.compile(r"^参数 ([a-z_]+)")


def as_typed(message: str) -> str:
    """search/'s refusals name the request's parameter (参数 limit), as the URL spells it; on
    the command line the person typed an option (--limit), or the query itself."""
    m = _PARAMETER.match(message)
    ctx = click.get_current_context(silent=True)
    if not m or ctx is None:
        return message
    if m.group(1) == "q":
        return "检索式" + message[m.end():]
    for param in ctx.command.params:
        if isinstance(param, click.Option) and param.name in (m.group(1), m.group(1) + "_"):
            return f"选项 {param.opts[0]}" + message[m.end():]
    return message
