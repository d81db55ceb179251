"""The course: lesson model and loader (reads lessons/, no other I/O)."""

from pathlib import Path

from tutor.course.loader import load_course
from tutor.course.model import Course, Module, ScriptedReply, Step
from tutor.resources import data_dir


def bundled_course_dir() -> Path:
    return data_dir("lessons")


__all__ = ["Course", "Module", "ScriptedReply", "Step", "bundled_course_dir", "load_course"]
