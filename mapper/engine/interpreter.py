"""The slow path: JMESPath's tree interpreter, counting what it builds, for the expressions the
closures do not cover (filters, slices, flatten, sort_by() and the rest)."""

from typing import Any

from jmespath.visitor import TreeInterpreter

from mapper.engine.errors import EvaluationError
from mapper.engine.functions import OPTIONS
from mapper.engine.limits import MAX_OUTPUT_ITEMS
from mapper.engine.truth_and_order import orderable


class BoundedInterpreter(TreeInterpreter):
    """JMESPath's interpreter, counting every value it creates against MAX_OUTPUT_ITEMS."""

    def __init__(self) -> None:
        super().__init__(OPTIONS)
        self.created = 0

    def _charge(self, result: Any) -> Any:
        if isinstance(result, list | dict):
            self.created += len(result)
            if self.created > MAX_OUTPUT_ITEMS:
                raise EvaluationError(f"The expression builds more than {MAX_OUTPUT_ITEMS} values.")
        return result

    def visit_multi_select_list(self, node: dict, value: Any) -> Any:
        return self._charge(super().visit_multi_select_list(node, value))

    def visit_multi_select_dict(self, node: dict, value: Any) -> Any:
        return self._charge(super().visit_multi_select_dict(node, value))

    def visit_projection(self, node: dict, value: Any) -> Any:
        return self._charge(super().visit_projection(node, value))

    def visit_value_projection(self, node: dict, value: Any) -> Any:
        return self._charge(super().visit_value_projection(node, value))

    def visit_filter_projection(self, node: dict, value: Any) -> Any:
        return self._charge(super().visit_filter_projection(node, value))

    def visit_flatten(self, node: dict, value: Any) -> Any:
        return self._charge(super().visit_flatten(node, value))

    def visit_slice(self, node: dict, value: Any) -> Any:
        return self._charge(super().visit_slice(node, value))

    def visit_function_expression(self, node: dict, value: Any) -> Any:
        return self._charge(super().visit_function_expression(node, value))

    def visit_comparator(self, node: dict, value: Any) -> Any:
        if node["value"] in self._EQUALITY_OPS:
            return super().visit_comparator(node, value)
        left, right = (self.visit(child, value) for child in node["children"])
        return self.COMPARATOR_FUNC[node["value"]](left, right) if orderable(left, right) else None
