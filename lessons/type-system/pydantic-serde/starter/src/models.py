"""The pydantic models and the DSPy signature this crate works with.

Loaded once by lib.rs (`include_str!` + `PyModule::from_code`). In a real service this
is the module your Python colleagues already maintain.
"""

from enum import StrEnum
from typing import Literal

import dspy
import pydantic


class Currency(StrEnum):
    EUR = "EUR"
    USD = "USD"


class LineItem(pydantic.BaseModel):
    description: str
    type: Literal["product", "service"]
    quantity: int = pydantic.Field(ge=1)
    unit_price: float


class Invoice(pydantic.BaseModel):
    number: str
    customer: str
    currency: Currency
    lines: list[LineItem]
    total: float | None = None  # filled in by the Rust side


class ExtractInvoice(dspy.Signature):
    """Extract the invoice described in the email."""

    email: str = dspy.InputField()
    invoice: Invoice = dspy.OutputField()
