"""The mapping engine: compile and evaluate JMESPath expressions over events. Pure: no ORM, no HTTP.

Expressions are compiled once and cached (expressions.py). Simple ones (field paths, literals, `||`,
`&&`, `!`, comparisons, indexes, multiselect hashes and calls of plain functions) are compiled further
into Python closures (closures.py), which run several times faster than JMESPath's tree interpreter and
give the same results (a property test holds them together). Everything else runs on a tree
interpreter that counts what it builds (interpreter.py), so no expression can explode in time or memory
(limits.py). An action whose expressions all run as closures that cannot fail reads its fields with one
generated function (reader.py), and its trigger with another; property tests hold both to the closures. The functions marketers
add to JMESPath are in functions.py; which paths of the event an expression reads, for the privacy
rules, in read_paths.py.

Callers use the names below through the package (`from mapper import engine; engine.compile_expression`).
"""

from mapper.engine.errors import EvaluationError, ExpressionError, MappingError
from mapper.engine.expressions import Expression, alternatives, compile_expression, evaluate
from mapper.engine.functions import FUNCTIONS
from mapper.engine.limits import (
    MAX_EXPRESSION_LENGTH,
    MAX_NESTING_DEPTH,
    MAX_OUTPUT_ITEMS,
    MAX_OUTPUT_SIZE,
    MAX_STRING_LENGTH,
    MAX_TREE_DEPTH,
    check_output_size,
    measure,
)
from mapper.engine.read_paths import MAX_SOURCE_PATHS, source_paths
from mapper.engine.reader import Reader, Test, compile_reader, compile_test
from mapper.engine.truth_and_order import is_truthy

__all__ = [
    "FUNCTIONS",
    "MAX_EXPRESSION_LENGTH",
    "MAX_NESTING_DEPTH",
    "MAX_OUTPUT_ITEMS",
    "MAX_OUTPUT_SIZE",
    "MAX_SOURCE_PATHS",
    "MAX_STRING_LENGTH",
    "MAX_TREE_DEPTH",
    "EvaluationError",
    "Expression",
    "ExpressionError",
    "MappingError",
    "Reader",
    "Test",
    "alternatives",
    "check_output_size",
    "compile_expression",
    "compile_reader",
    "compile_test",
    "evaluate",
    "is_truthy",
    "measure",
    "source_paths",
]
