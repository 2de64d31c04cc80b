#!/usr/bin/env python3
"""Writes a roff man page from swift-argument-parser's `--experimental-dump-help` JSON.

Usage: manpage.py SECTION VERSION DATE < dump-help.json > page.8

Every (sub)command becomes a section with its synopsis, abstract, discussion and options, so
one page documents a tool and all its subcommands (the generate-manual plugin's layout, which is
not available offline).
"""
import json
import sys


def roff(text):
    """Escapes text for roff: backslashes, and a leading dot or quote."""
    text = (text or "").replace("\\", "\\e").replace("-", "\\-")
    lines = []
    for line in text.split("\n"):
        if line.startswith(".") or line.startswith("'"):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def flag_names(argument):
    names = []
    for name in argument.get("names", []):
        prefix = "--" if name.get("kind") in ("long", "longWithSingleDash") else "-"
        if name.get("kind") == "longWithSingleDash":
            prefix = "-"
        names.append(prefix + name["name"])
    return names


def shown(argument):
    """Arguments the page lists: not hidden, and not the --help every command has."""
    return argument.get("shouldDisplay", True) and argument.get("preferredName", {}).get("name") != "help"


def synopsis(path, command):
    parts = []
    for argument in command.get("arguments", []):
        if not shown(argument):
            continue
        names = flag_names(argument)
        value = argument.get("valueName", "value")
        if argument["kind"] == "positional":
            text = "<" + value + ">"
        elif argument["kind"] == "flag":
            text = names[0] if names else ""
        else:
            text = (names[0] if names else "") + " <" + value + ">"
        if argument.get("isOptional"):
            text = "[" + text + "]"
        parts.append(text)
    if any(sub.get("commandName") != "help" for sub in command.get("subcommands", [])):
        parts.append("<subcommand>")
    return ".B " + roff(path) + "\n" + roff(" ".join(parts))


def options(command):
    out = []
    for argument in command.get("arguments", []):
        if not shown(argument):
            continue
        names = flag_names(argument)
        value = argument.get("valueName", "value")
        if argument["kind"] == "positional":
            label = "<" + value + ">"
        elif argument["kind"] == "flag":
            label = ", ".join(names)
        else:
            label = ", ".join(n + " <" + value + ">" for n in names)
        text = argument.get("abstract", "")
        if argument.get("defaultValue") not in (None, ""):
            text += " (default: " + str(argument["defaultValue"]) + ")"
        if argument.get("allValues"):
            text += " Values: " + ", ".join(argument["allValues"]) + "."
        out.append(".TP\n.B " + roff(label) + "\n" + roff(text))
    return "\n".join(out)


def section(path, command, top):
    out = []
    if not top:
        out.append(".SS " + roff(path))
    out.append(synopsis(path, command))
    if not top and command.get("abstract"):
        out.append(".PP\n" + roff(command["abstract"]))
    if command.get("discussion"):
        out.append(".PP\n" + roff(command["discussion"]))
    body = options(command)
    if body:
        out.append(body)
    return "\n".join(out)


def walk(path, command, pages):
    for sub in command.get("subcommands", []):
        if sub.get("commandName") == "help":
            continue
        sub_path = path + " " + sub["commandName"]
        pages.append(section(sub_path, sub, False))
        walk(sub_path, sub, pages)


def main():
    section_number, version, date = sys.argv[1:4]
    command = json.load(sys.stdin)["command"]
    name = command["commandName"]
    out = [
        '.TH "%s" "%s" "%s" "%s" "System Administration"' % (name.upper(), section_number, date, roff(name + " " + version)),
        ".SH NAME",
        roff(name) + " \\- " + roff(command.get("abstract", "")),
        ".SH SYNOPSIS",
        section(name, command, True),
    ]
    subs = []
    walk(name, command, subs)
    if subs:
        out.append(".SH SUBCOMMANDS")
        out.extend(subs)
    out += [
        ".SH FILES",
        ".TP\n.B /etc/dossierd/dossierd.toml\nThe configuration (every key documented in the file).",
        ".TP\n.B /var/lib/dossierd\nThe state directory: journal, spool, inbox, quarantine, receipts, intake.",
        ".TP\n.B /run/dossierd/admin.sock\nThe admin socket dossierctl talks to.",
        ".SH SEE ALSO",
        ".BR dossierd (8),\n.BR dossierctl (8),\n.BR systemctl (1);\n/usr/share/doc/dossierd/README.md and operations.md",
    ]
    sys.stdout.write("\n".join(out) + "\n")


main()
