"""Math accuracy: find the final answer, normalize, parse (size-guarded), compare exactly."""

from graders.math.compare import CompareConfig
from graders.math.grade import DEFAULT_MATH_OPTIONS, MathOptions, MathVerdict, Verdict, grade_math

__all__ = ["CompareConfig", "DEFAULT_MATH_OPTIONS", "MathOptions", "MathVerdict", "Verdict", "grade_math"]
