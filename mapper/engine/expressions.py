"""Compiling an expression: checked against the limits once, cached, and run as closures where it can
be (mapper.engine.closures), else on the counting tree interpreter (mapper.engine.interpreter)."""

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jmespath
from jmespath import exceptions as jmespath_errors

from mapper.engine.closures import Evaluator, builds_values, cannot_fail, compile_node
from mapper.engine.errors import EvaluationError, ExpressionError, MappingError
from mapper.engine.functions import FUNCTIONS
from mapper.engine.interpreter import BoundedInterpreter
from mapper.engine.limits import (
    MAX_EXPRESSION_LENGTH,
    MAX_NESTING_DEPTH,
    MAX_OUTPUT_SIZE,
    MAX_TREE_DEPTH,
    check_output_size,
    measure,
    text_budget,
)
from mapper.engine.truth_and_order import is_truthy


@dataclass(frozen=True, slots=True)
class Expression:
    """A compiled expression. `evaluate` raises only EvaluationError."""

    source: str
    _run: Evaluator
    _needs_bounds: bool
    # Set when the expression can neither fail nor grow (field paths, literals, comparisons and
    # logic over them): callers on the hot path may call it directly, without evaluate's guards.
    direct: Evaluator | None = None

    def evaluate(self, data: Any) -> Any:
        budget = text_budget.set([MAX_OUTPUT_SIZE]) if self._needs_bounds else None
        try:
            result = self._run(data)
            if self._needs_bounds:
                check_output_size(result)
            return result
        except MappingError:
            raise
        except jmespath_errors.JMESPathTypeError as error:
            expected = ", ".join(error.expected_types)
            raise EvaluationError(
                f"{error.function_name}() got a value of type {error.actual_type}; it expects {expected}."
            ) from None
        except jmespath_errors.ArityError as error:
            raise EvaluationError(
                f"{error.function_name}() takes {error.expected_arity} argument(s), got {error.actual_arity}."
            ) from None
        except jmespath_errors.UnknownFunctionError:
            raise EvaluationError("The expression calls an unknown function.") from None
        except RecursionError:
            raise EvaluationError("The data or the expression is nested too deeply.") from None
        except (TypeError, ValueError, OverflowError, ArithmeticError):
            # Built-in functions on unexpected values (such as sorting mixed types). The
            # original message may quote event data, so it is not passed on.
            raise EvaluationError("The expression cannot be evaluated on this value.") from None
        except MemoryError:
            raise EvaluationError("The expression needs more memory than an evaluation may take.") from None
        finally:
            if budget is not None:
                text_budget.reset(budget)

    def is_true(self, data: Any) -> bool:
        """Return whether the expression is truthy on `data`, by JMESPath's rules."""
        return is_truthy(self.evaluate(data))


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> Expression:
    """Return the compiled expression, or raise ExpressionError saying what is wrong and where."""
    if not isinstance(source, str):
        raise ExpressionError("An expression must be text.")
    if len(source) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"The expression is longer than {MAX_EXPRESSION_LENGTH} characters.")
    depth, position = _nesting_depth(source)
    if depth > MAX_NESTING_DEPTH:
        raise ExpressionError(
            f"The expression nests more than {MAX_NESTING_DEPTH} levels deep.",
            position=position,
        )
    try:
        parsed = jmespath.compile(source).parsed
    except jmespath_errors.IncompleteExpressionError:
        raise ExpressionError(
            f"The expression is incomplete at position {len(source)}.",
            position=len(source),
        ) from None
    except jmespath_errors.LexerError as error:
        raise ExpressionError(
            f"Unexpected character at position {error.lexer_position}.",
            position=error.lexer_position,
        ) from None
    except jmespath_errors.ParseError as error:
        raise ExpressionError(
            f"Invalid syntax at position {error.lex_position}: unexpected {error.token_type.lower()}.",
            position=error.lex_position,
        ) from None
    except jmespath_errors.JMESPathError:
        raise ExpressionError("The expression is not valid JMESPath.") from None
    except RecursionError:
        raise ExpressionError("The expression nests too deeply.") from None
    if _tree_depth(parsed) > MAX_TREE_DEPTH:
        raise ExpressionError(f"The expression combines more than {MAX_TREE_DEPTH} parts in one chain.")
    _check_functions(parsed)
    _check_literals(parsed)
    return _expression_of(source, parsed)


def _expression_of(source: str, parsed: dict) -> Expression:
    fast = compile_node(parsed)
    if fast is not None:
        needs_bounds = builds_values(parsed)
        direct = fast if not needs_bounds and cannot_fail(parsed) else None
        return Expression(source, fast, _needs_bounds=needs_bounds, direct=direct)
    return Expression(
        source,
        lambda data: BoundedInterpreter().visit(parsed, data),
        _needs_bounds=True,
    )


@lru_cache(maxsize=1024)
def alternatives(source: str) -> tuple[Expression, ...]:
    """The alternatives of a fallback chain `a || b || c`, left to right; () when `source` is not
    one. Identifiers use them to take the first *valid* value, where `||` takes the first non-empty."""
    compile_expression(source)  # within the limits
    parsed = jmespath.compile(source).parsed
    if parsed["type"] != "or_expression":
        return ()
    found: list[dict] = []
    stack = [parsed]
    while stack:
        node = stack.pop()
        if node["type"] == "or_expression":
            stack.extend(reversed(node["children"]))
        else:
            found.append(node)
    return tuple(_expression_of(source, node) for node in found)


def evaluate(source: str, data: Any) -> Any:
    """Compile (cached) and evaluate `source` on `data`."""
    return compile_expression(source).evaluate(data)


def _nesting_depth(source: str) -> tuple[int, int]:
    """Return the deepest bracket nesting outside string literals, and where it is reached."""
    depth = deepest = where = 0
    quote = ""
    escaped = False
    for index, char in enumerate(source):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "'\"`":
            quote = char
        elif char in "([{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, index
        elif char in ")]}":
            depth -= 1
    return deepest, where


def _tree_depth(node: dict) -> int:
    deepest = 0
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in current.get("children", ()) if isinstance(child, dict))
    return deepest


def _check_literals(node: dict) -> None:
    """Refuse a literal that is not plain JSON, such as `1e400` (infinite once read)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.get("type") == "literal":
            try:
                measure(current["value"], MAX_EXPRESSION_LENGTH * 8)
            except EvaluationError:
                raise ExpressionError(
                    "A literal holds a number too large for JSON (such as 1e400); write a smaller one."
                ) from None
        stack.extend(child for child in current.get("children", ()) if isinstance(child, dict))


def _check_functions(node: dict) -> None:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.get("type") == "function_expression":
            name = current["value"]
            spec = FUNCTIONS.FUNCTION_TABLE.get(name)
            if spec is None:
                raise ExpressionError(f"Unknown function {name}().")
            signature = spec["signature"]
            count = len(current["children"])
            variadic = bool(signature) and signature[-1].get("variadic")
            if (variadic and count < len(signature)) or (not variadic and count != len(signature)):
                raise ExpressionError(f"{name}() takes {len(signature)} argument(s), got {count}.")
        stack.extend(child for child in current.get("children", ()) if isinstance(child, dict))
