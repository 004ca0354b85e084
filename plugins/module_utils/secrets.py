# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Secrets handling, in one place: the Go MySQL DSN parser, the secrets
found in Helm values or quoted in a tool's error, the redactor every
message goes through, and the credentials of a URL quoted in an error."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

MASK = "********"
SECRET_KEYS = ("dsn", "password", "passwd", "secret", "token", "auth")


class DsnError(ValueError):
    pass


def parse_dsn(dsn):
    """Split a Go MySQL DSN ``[user[:password]@][net[(addr)]]/dbname[?params]``
    the way go-sql-driver/mysql does: the last ``/`` starts the database, the
    last ``@`` before it ends the credentials, the first ``:`` in them ends the
    user. So a password may hold ``@``, ``:``, ``&``, ``=`` and ``%``."""
    if not isinstance(dsn, str) or not dsn:
        raise DsnError("the database DSN is empty (hive.configMap.database[0].dsn in the skoala values)")
    slash = dsn.rfind("/")
    if slash < 0:
        raise DsnError("the database DSN has no /database part")
    head, tail = dsn[:slash], dsn[slash + 1:]
    dbname, dummy, params = tail.partition("?")
    at = head.rfind("@")
    userinfo, address = (head[:at], head[at + 1:]) if at >= 0 else ("", head)
    user, dummy, password = userinfo.partition(":")
    net, addr = address, ""
    if "(" in address and address.endswith(")"):
        net, addr = address[:address.index("(")], address[address.index("(") + 1:-1]
    return {"user": user, "password": password, "net": net, "address": addr,
            "database": dbname, "params": params}


def dsn_password(dsn):
    """The password of ``dsn``, or None when it has none or is no DSN."""
    try:
        return parse_dsn(dsn)["password"] or None
    except DsnError:
        return None


def secrets_in(values):
    """String values under keys that look secret (DSN, password, ...), and
    the password part of a DSN, so they can be masked in any message."""
    found = []

    def walk(node, key=""):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, str(k))
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and node and any(s in key.lower() for s in SECRET_KEYS):
            found.append(node)
            password = dsn_password(node)
            if password:
                found.append(password)

    walk(values)
    return found


# Where a DSN stands in free text (Kubernetes errors quote objects): a run of
# characters other than white space and quotes, up to the last "@tcp(" or
# "@unix(" in it, the end of the DSN's credentials.
_DSN_CREDENTIALS = re.compile(r"[^\s\"']*@(?:tcp|unix)\(")


def dsn_passwords_in(text):
    """The passwords of the DSNs quoted in ``text`` (e.g. helm's stderr),
    read by ``parse_dsn`` from each DSN's credentials (the address and
    database may be cut off)."""
    found = []
    for match in _DSN_CREDENTIALS.finditer(str(text or "")):
        password = dsn_password(match.group(0) + ")/")
        if password:
            found.append(password)
    return found


def mask_dsn_passwords(text, mask=MASK):
    """``text`` with the password of every DSN quoted in it redacted,
    wherever else it stands in ``text`` too; None is empty."""
    return redact(text or "", dsn_passwords_in(text), mask)


def redact(text, secrets, mask=MASK):
    """``text`` with every secret (longest first) replaced by ``mask``;
    None stays None."""
    if text is None:
        return text
    text = str(text)
    for secret in sorted({s for s in secrets or [] if s}, key=len, reverse=True):
        text = text.replace(secret, mask)
    return text


# "scheme://user:password@" as a URL quoted in an error spells it.
_URL_CREDENTIALS = re.compile(r"://[^@/]*@")


def strip_url_credentials(text):
    """``text`` with the user and password of every URL in it left out
    (``https://u:p@host`` reads ``https://host``); None is empty."""
    return _URL_CREDENTIALS.sub("://", str(text or ""))
