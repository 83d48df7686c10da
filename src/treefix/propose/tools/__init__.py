"""Retrieval as tools: the model may read, search and list the project before it edits
(SWE-agent's few, bounded read actions), in a loop bounded by rounds and by the gateway's budgets."""

from treefix.propose.tools.box import TOOLS, Refused, Toolbox
from treefix.propose.tools.loop import ToolLoop

__all__ = ["TOOLS", "Refused", "ToolLoop", "Toolbox"]
