"""Creating a workspace and opening it for a course."""

from __future__ import annotations

from tutor.atomic import write_text_atomic
from tutor.course.model import Course
from tutor.errors import FileError, TutorError
from tutor.fserrors import writing
from tutor.workspace.layout import Workspace
from tutor.workspace.progress import Progress, load_progress, recover, save_progress
from tutor.workspace.scaffold import scaffold

_README = """\
This is your pyo3dspy-tutor workspace.

Each step of the course is a Cargo crate in <module>/<step>/; edit its files with the
tutor's editor or your own. The tutor keeps its state, backups and build output in
.pyo3dspy-tutor/ (progress is in .pyo3dspy-tutor/state.toml).
"""


def init_workspace(ws: Workspace, course: Course) -> Progress:
    """Create (or reopen) ``ws`` for ``course``; scaffolds the current step.

    Writes only what changed, so opening a read-only workspace to look works. What had to
    change in the learner's progress is in ``progress.notices``."""
    if ws.root.exists() and not ws.root.is_dir():
        raise TutorError(
            f"{ws.root} exists and is not a folder", fix="pick another place with --workspace DIR"
        )
    # Not ws.exists(): taking the workspace lock already creates the meta folder.
    fresh = not ws.state_file.exists()
    with writing(ws.root):
        ws.meta.mkdir(parents=True, exist_ok=True)
    if fresh:
        write_text_atomic(ws.root / "README.txt", _README)
        write_text_atomic(ws.meta / ".gitignore", "target/\nbuild/\nchecks/\nlock\n*.log\n")
    try:
        progress = load_progress(ws.state_file)
    except FileError as e:
        progress = recover(ws.state_file, e)
    if progress.course and progress.course != course.id:
        raise TutorError(
            f"{ws.root} holds progress for course {progress.course!r}, not {course.id!r}",
            fix="use another workspace for this course (--workspace DIR)",
        )
    changed = fresh or bool(progress.notices) or progress.course != course.id
    step_ids = [s.id for s in course.steps()]
    if progress.current not in step_ids:
        to = next((i for i in step_ids if i not in progress.done), step_ids[0])
        if progress.current:
            progress.notices.append(
                f"The step you were on, {progress.current!r}, is no longer in the course "
                f"(was it renamed?); you are now on {to!r}."
            )
        progress.current = to
        changed = True
    progress.course = course.id
    if changed:
        save_progress(ws.state_file, progress)
    scaffold(ws, course.step(progress.current), notify=progress.notices.append)
    return progress
