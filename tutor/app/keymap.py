"""Every key of the app: one table gives the bindings, the palette and the help screen.

Each binding has an id; ``[keymap]`` in the config file remaps it (``"step.next" =
"ctrl+j"``), through Textual's ``App.set_keymap``.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Command:
    id: str  # the binding id, used by [keymap] in the config file
    keys: str  # default keys, comma-separated
    action: str  # an App action
    footer: str  # short label in the footer
    title: str  # palette name, "category: action"
    help: str  # one line for the palette and the help screen
    show: bool = True  # in the footer
    priority: bool = True  # also while the editor has focus


COMMANDS: tuple[Command, ...] = (
    Command(
        "help",
        "f1",
        "help",
        "Help",
        "help: keys and this pane",
        "Show the keys and help for the pane that has focus.",
    ),
    Command(
        "step.hint",
        "f2",
        "hint",
        "Hint",
        "step: hint",
        "Show one more hint for this step (they get more specific).",
    ),
    Command(
        "step.previous",
        "f3",
        "previous_step",
        "Prev",
        "step: previous",
        "Go back to the previous step.",
    ),
    Command(
        "step.next",
        "f4,ctrl+n",
        "next_step",
        "Next",
        "step: next",
        "Go to the next step (asks first if this one has not passed).",
    ),
    Command(
        "check.run",
        "f5,ctrl+r",
        "run_check",
        "Check",
        "check: run now",
        "Build and check this step now.",
    ),
    Command(
        "step.diff",
        "f8",
        "diff",
        "Diff",
        "step: diff against the solution",
        "Compare your file with the reference solution.",
    ),
    Command(
        "check.watch",
        "f9",
        "toggle_watch",
        "Watch",
        "check: toggle watching",
        "Switch between checking on every save and checking only on request.",
    ),
    Command(
        "app.theme",
        "f6",
        "switch_theme",
        "Theme",
        "view: switch theme",
        "Pick another colour theme (saved in your config file).",
        show=False,
    ),
    Command(
        "app.lm",
        "f7",
        "switch_lm",
        "LM",
        "lm: switch model",
        "Use the offline LM or a provider from your config file.",
        show=False,
    ),
    Command(
        "step.solution",
        "ctrl+g",
        "solution",
        "Solution",
        "step: show the solution",
        "Show the reference solution (asks first if the step has not passed).",
        show=False,
    ),
    Command(
        "step.reset",
        "ctrl+t",
        "reset_step",
        "Reset",
        "step: reset to the starter",
        "Put the starter files back; your files are backed up first.",
        show=False,
    ),
    Command(
        "editor.external",
        "ctrl+o",
        "open_external",
        "$EDITOR",
        "editor: open in $EDITOR",
        "Edit the current file in your own editor.",
        show=False,
    ),
    Command(
        "editor.save",
        "ctrl+s",
        "save_file",
        "Save",
        "editor: save",
        "Write the editor's file to disk (a save starts a check when watching).",
        show=False,
    ),
    Command(
        "app.lessons",
        "ctrl+l",
        "toggle_lessons",
        "Lessons",
        "view: toggle lesson list",
        "Show or hide the list of steps.",
        show=False,
    ),
    Command(
        "view.lesson_width",
        "f10,alt+w",
        "lesson_width",
        "Lesson width",
        "view: widen the lesson / read it full screen",
        "Cycle the lesson column: normal, wide, full screen (the choice is remembered).",
        show=False,
    ),
    *(
        Command(
            f"pane.{name}",
            f"alt+{i}",
            f"show_pane('{name}')",
            title,
            f"pane: {name}",
            f"Show the {what} and move the focus there.",
            show=False,
        )
        for i, (name, title, what) in enumerate(
            [
                ("trace", "Trace", "DSPy trace of the last run"),
                ("gil", "GIL", "GIL timings of the last run"),
                ("errors", "Errors", "errors of the last check"),
                ("output", "Output", "build log and the run's output"),
            ],
            1,
        )
    ),
    Command(
        "pane.next",
        "f12,alt+n",
        "next_pane",
        "Next pane",
        "pane: next (editor → Trace → GIL → Errors → Output)",
        "Move the focus to the next result pane, and after the last one back to the editor.",
        show=False,
    ),
    Command(
        "app.copy",
        "c",
        "copy_selected",
        "Copy",
        "copy: selected error or span",
        "Copy the selected error or trace span to the clipboard.",
        show=False,
        priority=False,
    ),
    Command(
        "app.doctor",
        "ctrl+d",
        "doctor",
        "Doctor",
        "doctor: check the set-up",
        "Check Rust, Python, DSPy and the LM set-up, with fixes.",
        show=False,
        priority=False,
    ),
    Command("app.quit", "ctrl+q", "quit", "Quit", "app: quit", "Quit the tutor."),
)

BINDINGS: list[Binding] = [
    Binding(
        c.keys,
        c.action,
        c.footer,
        show=c.show,
        priority=c.priority,
        tooltip=c.help,
        id=c.id,
    )
    for c in COMMANDS
]

IDS = {c.id for c in COMMANDS}


def action_name(action: str) -> str:
    """``show_pane('gil')`` → ``show_pane``: what ``App.check_action`` is given."""
    return action.split("(", 1)[0]


def check_keymap(keymap: dict[str, str]) -> list[str]:
    """Problems with a configured keymap (unknown binding ids, a key given to two
    actions), for a notification."""
    problems = []
    unknown = sorted(set(keymap) - IDS)
    if unknown:
        problems.append(
            f"keymap: unknown binding id {', '.join(unknown)} in your config file "
            f"(known: {', '.join(sorted(IDS))})"
        )
    owners: dict[str, list[str]] = {}
    for c in COMMANDS:
        for key in keys_for(c, keymap).split(","):
            owners.setdefault(key.strip(), []).append(c.id)
    for key, ids in owners.items():
        if len(ids) > 1:
            problems.append(
                f"keymap: {key} is bound to both {' and '.join(sorted(ids))}; "
                "give one of them another key in your config file"
            )
    return problems


def keys_for(command: Command, keymap: dict[str, str]) -> str:
    """The keys a command answers to, after the learner's remapping."""
    return keymap.get(command.id, command.keys)
