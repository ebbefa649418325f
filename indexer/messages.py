"""The words a person reads when something cannot be done: one line, in Chinese.

A library's or the system's own words may follow in parentheses, where they help
(PDFium's reason, the XML parser's line and column); an exception's class name never does.
"""

from __future__ import annotations

import errno

# what the system says, said as a person would (errno -> words)
_OS_ERRORS = {
    errno.ENOSPC: "磁盘已满", errno.EDQUOT: "磁盘配额已用完", errno.EACCES: "没有权限",
    errno.EPERM: "不允许这样操作（没有权限）", errno.EROFS: "所在的文件系统是只读的",
    errno.ENOENT: "不存在", errno.EISDIR: "是文件夹，不是文件", errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.EIO: "磁盘读写出错（硬件或网络盘故障？）", errno.ENAMETOOLONG: "文件名太长",
    errno.EMFILE: "打开的文件太多", errno.ENOMEM: "内存不足", errno.ELOOP: "符号链接成环",
    errno.ENOTEMPTY: "文件夹不是空的", errno.EEXIST: "已经存在", errno.EBUSY: "正被占用",
    errno.EFBIG: "文件太大", errno.ETIMEDOUT: "超时", errno.ESTALE: "网络文件句柄已失效",
}

DETAIL_CHARS = 160


def os_error_text(e: OSError) -> str:
    """An OSError's errno in words, with the system's own words after them when unmapped."""
    words = _OS_ERRORS.get(e.errno)
    if words:
        return words
    return f"系统错误（{one_line(e.strerror or str(e))}）" if (e.strerror or str(e)) else "系统错误"


def describe_os_error(e: OSError) -> str:
    """What ran out or broke, and where: ``磁盘已满（写入 /x/y 时）``."""
    where = f"（写入 {e.filename} 时）" if e.filename else ""
    return os_error_text(e) + where


def one_line(text: str, limit: int = DETAIL_CHARS) -> str:
    """A library's message as one short line."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def library_detail(e: BaseException) -> str:
    """What a library said about a file it could not read, in parentheses after our words
    (never its exception class: a person cannot act on ``XMLSyntaxError``)."""
    said = one_line(str(e))
    return f"（{said}）" if said else ""
