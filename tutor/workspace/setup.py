"""Creating a workspace and opening it for a course."""

from __future__ import annotations

from tutor.atomic import write_text_atomic
from tutor.course.model import Course
from tutor.errors import TutorError
from tutor.workspace.layout import Workspace
from tutor.workspace.progress import Progress, load_progress, save_progress
from tutor.workspace.scaffold import scaffold

_README = """\
This is your pyo3dspy-tutor workspace.

Each step of the course is a Cargo crate in <module>/<step>/; edit its files with the
tutor's editor or your own. The tutor keeps its state, backups and build output in
.pyo3dspy-tutor/ (progress is in .pyo3dspy-tutor/state.toml).
"""


def init_workspace(ws: Workspace, course: Course) -> Progress:
    """Create (or reopen) ``ws`` for ``course``; scaffolds the current step."""
    if ws.root.exists() and not ws.root.is_dir():
        raise TutorError(
            f"{ws.root} exists and is not a folder", fix="pick another place with --workspace DIR"
        )
    # Not ws.exists(): taking the workspace lock already creates the meta folder.
    fresh = not ws.state_file.exists()
    ws.meta.mkdir(parents=True, exist_ok=True)
    if fresh:
        write_text_atomic(ws.root / "README.txt", _README)
        write_text_atomic(ws.meta / ".gitignore", "target/\nbuild/\nchecks/\nlock\n*.log\n")
    progress = load_progress(ws.state_file)
    if progress.course and progress.course != course.id:
        raise TutorError(
            f"{ws.root} holds progress for course {progress.course!r}, not {course.id!r}",
            fix="use another workspace for this course (--workspace DIR)",
        )
    step_ids = [s.id for s in course.steps()]
    if progress.current not in step_ids:
        progress.current = step_ids[0]
    progress.course = course.id
    save_progress(ws.state_file, progress)
    scaffold(ws, course.step(progress.current))
    return progress
