"""The order schema and the DSPy signature of the pipeline (given).

Loaded once by lib.rs (`include_str!` + `PyModule::from_code`), as in pydantic-serde.
"""

from typing import Literal

import dspy
import pydantic


class Item(pydantic.BaseModel):
    sku: str = pydantic.Field(description="the product code, like ABC-123")
    quantity: int = pydantic.Field(ge=1)


class Order(pydantic.BaseModel):
    customer: str
    items: list[Item]
    priority: Literal["low", "medium", "high"]
    refund_requested: bool = False


class ExtractOrder(dspy.Signature):
    """Extract the order a customer placed in this email."""

    email: str = dspy.InputField()
    order: Order = dspy.OutputField()
