"""The learner's workspace: layout, scaffolding, backups, progress, lock."""

from tutor.workspace.layout import Workspace

__all__ = ["Workspace"]
