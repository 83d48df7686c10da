"""The bounded tool loop: ask; while the model calls tools, run them and ask again with the
results. Each round is one gateway call, so calls, tokens and cost count against the run's budgets
(`BudgetExhausted` ends a runaway loop); `max_rounds` bounds it on its own as well. When the rounds
are spent the model is told to answer without tools; a model without tool support gets the plain
request (llama.cpp, scripted)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from treefix.code.prompts import phrase
from treefix.models.base import Message, Reply, Request, ToolResult
from treefix.models.gateway import Gateway
from treefix.propose.tools.box import TOOLS, Refused, Toolbox

MAX_ROUNDS = 6  # tool rounds per answer
MAX_CALLS_PER_ROUND = 8  # calls beyond this in one turn are refused


@dataclass
class ToolLoop:
    gateway: Gateway
    max_rounds: int = MAX_ROUNDS

    @property
    def usable(self) -> bool:
        return bool(getattr(self.gateway.model, "supports_tools", False))

    def complete(self, request: Request, box: Toolbox) -> Reply:
        if not self.usable or self.max_rounds <= 0:
            return self.gateway.complete(request)
        hint = Message("user", phrase("tools_hint"))
        request = dataclasses.replace(request, tools=TOOLS, messages=(*request.messages, hint))
        rounds = 0
        while True:
            reply = self.gateway.complete(request)  # BudgetExhausted ends a runaway loop
            if not reply.tool_calls:
                return reply
            if rounds >= self.max_rounds:
                return reply  # still calling tools after the last round: no patch this time
            rounds += 1
            results = tuple(self._run(box, i, c) for i, c in enumerate(reply.tool_calls))
            turn = [
                Message("assistant", reply.text, tool_calls=reply.tool_calls),
                Message("user", "", tool_results=results),
            ]
            if rounds >= self.max_rounds:  # say so while the model can still answer
                turn.append(Message("user", phrase("tools_spent")))
            request = dataclasses.replace(request, messages=request.messages + tuple(turn))

    def _run(self, box: Toolbox, index: int, call) -> ToolResult:
        refused: str | None = None
        try:
            if index >= MAX_CALLS_PER_ROUND:
                raise Refused(f"at most {MAX_CALLS_PER_ROUND} tool calls per turn")
            text = box.run(call.name, call.arguments)
        except Refused as exc:
            refused = text = f"refused: {exc}"
        self.gateway.record_tool(call, text, refused)
        return ToolResult(call.id, text, is_error=refused is not None)
