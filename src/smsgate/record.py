"""`record`: the dataclass decorator of the records made for every request and every PDU
(frozen to mypy).

Written by hand because of a measured cost: a frozen dataclass's `__init__` sets each field
through `object.__setattr__` (its own `__setattr__` refuses), ~1,500 instructions a field under
callgrind, so the 16 fields of a `Message` cost ~24,000 instructions on every accepted request,
more than parsing the request, and the 20 of a decoded deliver_sm ~30,000 on every receipt.
A plain slots dataclass stores a field with one STORE_ATTR (~250). Immutability is kept where
this code base checks it: the build runs mypy (strict), which reads `record` as `frozen=True`
(PEP 681's `frozen_default`) and refuses any assignment to a field. At run time a record is what
the frozen dataclass was in every other way: slots, `==` over the fields, hashable over the
fields (`unsafe_hash`, what `frozen` implied), the same `repr`, and `dataclasses.replace` makes
the changed copies. `@record(kw_only=True)` is `@dataclass(frozen=True, slots=True,
kw_only=True)` the same way.

A leaf module of its own, outside every layer: `domain` (its records) and `smpp` (the PDUs),
which may import nothing of each other, both use it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, dataclass_transform, overload

_T = TypeVar("_T")


@overload
def record(cls: type[_T], /) -> type[_T]: ...
@overload
def record(*, kw_only: bool = False) -> Callable[[type[_T]], type[_T]]: ...


@dataclass_transform(frozen_default=True)
def record(
    cls: type[_T] | None = None, /, *, kw_only: bool = False
) -> type[_T] | Callable[[type[_T]], type[_T]]:
    """`@dataclass(frozen=True, slots=True)` to mypy; see the module docstring."""
    make = dataclass(slots=True, unsafe_hash=True, kw_only=kw_only)
    return make if cls is None else make(cls)
