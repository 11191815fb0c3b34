"""Customer lifetime value: the BG/NBD, MBG/NBD and Pareto/NBD purchase-count models and
the Gamma-Gamma spend model, fitted by maximum likelihood (re-exported as
``nexus.BetaGeo``, ``nexus.ModifiedBetaGeo``, ``nexus.ParetoNBD``, ``nexus.GammaGamma``
and their fitted types).

The models take the per-customer summary of :func:`nexus.summary_data`: ``frequency``
(repeat purchases), ``recency`` (time of the last purchase since the first), ``T`` (time
since the first purchase) and, for the spend model, ``monetary_value`` (the mean value of
the repeat purchases); time in any unit, the same for all (predictions are in that unit)::

    summary = nexus.summary_data(sales, unit="weeks")
    bg = nexus.BetaGeo().fit(summary["frequency"], summary["recency"], summary["T"])
    print(bg.params, bg.log_likelihood)
    next_quarter = bg.expected_purchases(13, summary["frequency"], summary["recency"], summary["T"])

An unfitted model is its configuration (the ``penalizer``); ``fit`` returns a fitted model,
a separate type, so predicting before fitting cannot happen. Arrays may be numpy arrays,
lists, tuples, pandas or polars Series (converted to ``float64``); results are numpy
arrays, or lists when numpy is not installed; a scalar everywhere gives a float back.

The work is the Rust core's (``nexus_core::analytics::clv``), run with the GIL released.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from array import array
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from . import _nexus
from ._analytics import Unit

__all__ = [
    "ArrayLike",
    "BetaGeo",
    "FittedBetaGeo",
    "FittedGammaGamma",
    "FittedModifiedBetaGeo",
    "FittedParetoNBD",
    "GammaGamma",
    "ModifiedBetaGeo",
    "ParetoNBD",
]

ArrayLike = Any
"""Numbers, one per customer: a numpy array, a list or tuple, a pandas or polars Series, or
a single number."""


def _is_scalar(values: Any) -> bool:
    if isinstance(values, bool):
        return False
    if isinstance(values, (int, float)):
        return True
    return type(values).__module__ == "numpy" and getattr(values, "ndim", None) == 0


def _floats(name: str, values: ArrayLike) -> bytes:
    """``values`` as little-endian float64 bytes for the native module."""
    if _is_scalar(values):
        values = [float(values)]
    if hasattr(values, "to_numpy") or type(values).__module__ == "numpy":
        np = importlib.import_module("numpy")
        if type(values).__module__.startswith("pandas"):  # missing values become NaN
            values = values.to_numpy(dtype="float64", na_value=np.nan)
        elif hasattr(values, "to_numpy"):  # a polars Series: nulls become NaN
            values = values.to_numpy()
        data = np.asarray(values, dtype="<f8")
        if data.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional, not of shape {data.shape}")
        raw: bytes = np.ascontiguousarray(data).tobytes()
        return raw
    try:
        data = array("d", values)
    except TypeError:
        raise TypeError(
            f"{name} must be numbers: a numpy array, a list, a pandas or polars Series, "
            f"not {type(values).__name__}"
        ) from None
    if sys.byteorder == "big":
        data.byteswap()
    return data.tobytes()


def _result(raw: bytearray, scalar: bool) -> Any:
    """A native result as a numpy array (a list without numpy), or a float for scalars."""
    if importlib.util.find_spec("numpy") is not None and not scalar:
        np = importlib.import_module("numpy")
        return np.frombuffer(raw, dtype="<f8").astype("float64", copy=False)
    values = array("d")
    values.frombytes(bytes(raw))
    if sys.byteorder == "big":
        values.byteswap()
    return values[0] if scalar else values.tolist()


def _customers(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> Tuple[bytes, bytes, bytes, bool]:
    scalar = all(_is_scalar(v) for v in (frequency, recency, T))
    return (
        _floats("frequency", frequency),
        _floats("recency", recency),
        _floats("T", T),
        scalar,
    )


def _params_text(params: Mapping[str, float]) -> str:
    return json.dumps({str(k): float(v) for k, v in params.items()})


class _FittedPurchaseModel:
    """What the fitted BG/NBD, MBG/NBD and Pareto/NBD models share."""

    __slots__ = ("_native",)

    _native: _nexus._PurchaseModel
    _kind = ""

    @classmethod
    def _wrap(cls, native: _nexus._PurchaseModel) -> Any:
        model = cls.__new__(cls)
        model._native = native
        return model

    @classmethod
    def _from(cls, params: Mapping[str, float]) -> Any:
        return cls._wrap(_nexus._PurchaseModel.from_params(cls._kind, _params_text(params)))

    @property
    def params(self) -> Dict[str, float]:
        """The parameters by name (the scales in the data's time unit). A fresh dict."""
        return dict(self._native.params())

    @property
    def standard_errors(self) -> Optional[Dict[str, float]]:
        """The standard errors of the parameters, by name: from the inverse Hessian of the
        negative log-likelihood at the estimate. ``None`` for a model made from parameters
        or when that Hessian is not positive definite (an estimate on the boundary)."""
        errors = self._native.standard_errors()
        return None if errors is None else dict(errors)

    @property
    def log_likelihood(self) -> Optional[float]:
        """The total log-likelihood of the fitted customers at the estimate (``None`` for a
        model made from parameters)."""
        return self._native.log_likelihood

    @property
    def n_customers(self) -> int:
        """The number of customers fitted (0 for a model made from parameters)."""
        return self._native.n_customers

    def expected_purchases(
        self, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> Any:
        """The expected number of purchases of each customer in the next ``t`` time units,
        given their history (lifetimes'
        ``conditional_expected_number_of_purchases_up_to_time``).

        Raises:
            InvalidDataError: arrays of different lengths, a negative or non-finite value, a
                frequency that is not a whole number, a recency after ``T``.
            InvalidArgumentError: a negative or non-finite ``t``.
        """
        f, r, age, scalar = _customers(frequency, recency, T)
        return _result(self._native.expected_purchases(float(t), f, r, age), scalar)

    def expected_purchases_new(self, t: ArrayLike) -> Any:
        """The expected number of repeat purchases in ``(0, t]`` of a new customer, for each
        ``t`` (lifetimes' ``expected_number_of_purchases_up_to_time``)."""
        return _result(self._native.expected_purchases_new(_floats("t", t)), _is_scalar(t))

    def probability_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> Any:
        """The probability that each customer is still active at the end of the observation
        period, given their history (lifetimes' ``conditional_probability_alive``)."""
        f, r, age, scalar = _customers(frequency, recency, T)
        return _result(self._native.probability_alive(f, r, age), scalar)

    def probability_of_purchases(self, n: ArrayLike, t: float) -> Any:
        """The probability that a new customer makes exactly ``n`` repeat purchases in
        ``(0, t]``, for each ``n`` (lifetimes' ``probability_of_n_purchases_up_to_time``).

        Args:
            n: A number of purchases, or several (a list, a numpy array, a Series).
            t: The horizon, in the data's time unit.
        """
        scalar = _is_scalar(n)
        counts: List[int] = [int(n)] if scalar else [int(k) for k in n]
        return _result(self._native.probability_of_purchases(counts, float(t)), scalar)

    def __repr__(self) -> str:
        """The model's parameters and fit."""
        params = " ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        fit = ""
        if self.log_likelihood is not None:
            fit = f", {self.n_customers} customers, log-likelihood {self.log_likelihood:.2f}"
        return f"<{type(self).__name__} {params}{fit}>"


class FittedBetaGeo(_FittedPurchaseModel):
    """A fitted BG/NBD model (Fader, Hardie & Lee 2005): purchase rates gamma distributed
    across customers (``r``, ``alpha``), the probability of dropping out after a purchase
    beta distributed (``a``, ``b``). Made by :meth:`BetaGeo.fit`, or from known parameters
    with :meth:`from_params`."""

    __slots__ = ()
    _kind = "BetaGeo"

    @classmethod
    def from_params(cls, params: Mapping[str, float]) -> FittedBetaGeo:
        """A model from known parameters ``r``, ``alpha``, ``a``, ``b`` (all positive), for
        predictions; it has no log-likelihood or standard errors.

        Raises:
            InvalidArgumentError: a parameter is missing, unknown or not positive.
        """
        model: FittedBetaGeo = cls._from(params)
        return model


class FittedModifiedBetaGeo(_FittedPurchaseModel):
    """A fitted MBG/NBD model (Batislam, Denizel & Filiztekin 2007): the BG/NBD where a
    customer may also drop out right after the first purchase. Made by
    :meth:`ModifiedBetaGeo.fit`, or with :meth:`from_params`."""

    __slots__ = ()
    _kind = "ModifiedBetaGeo"

    @classmethod
    def from_params(cls, params: Mapping[str, float]) -> FittedModifiedBetaGeo:
        """A model from known parameters ``r``, ``alpha``, ``a``, ``b`` (all positive).

        Raises:
            InvalidArgumentError: a parameter is missing, unknown or not positive.
        """
        model: FittedModifiedBetaGeo = cls._from(params)
        return model


class FittedParetoNBD(_FittedPurchaseModel):
    """A fitted Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): purchase rates
    (``r``, ``alpha``) and dropout rates (``s``, ``beta``) gamma distributed across
    customers. Made by :meth:`ParetoNBD.fit`, or with :meth:`from_params`."""

    __slots__ = ()
    _kind = "ParetoNbd"

    @classmethod
    def from_params(cls, params: Mapping[str, float]) -> FittedParetoNBD:
        """A model from known parameters ``r``, ``alpha``, ``s``, ``beta`` (all positive).

        Raises:
            InvalidArgumentError: a parameter is missing, unknown or not positive.
        """
        model: FittedParetoNBD = cls._from(params)
        return model


def _fit(
    kind: str,
    penalizer: float,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    weights: Optional[ArrayLike],
) -> _nexus._PurchaseModel:
    f, r, age, _ = _customers(frequency, recency, T)
    w = None if weights is None else _floats("weights", weights)
    return _nexus._PurchaseModel.fit(kind, f, r, age, penalizer=float(penalizer), weights=w)


class BetaGeo:
    """The BG/NBD model, unfitted: its configuration. ``BetaGeo().fit(frequency, recency,
    T)`` gives a :class:`FittedBetaGeo`.

    Attributes:
        penalizer: L2 penalty on the parameters (lifetimes' ``penalizer_coef``; 0 for none).
    """

    __slots__ = ("penalizer",)

    penalizer: float

    def __init__(self, penalizer: float = 0.0) -> None:
        """A model with the given ``penalizer``."""
        self.penalizer = penalizer

    def fit(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        *,
        weights: Optional[ArrayLike] = None,
    ) -> FittedBetaGeo:
        """Fits the model to one row per customer by maximum likelihood.

        Args:
            frequency: Repeat purchases of each customer (whole numbers).
            recency: Time of each customer's last purchase since their first (0 without
                repeat purchase).
            T: Time since each customer's first purchase (the same unit as ``recency``).
            weights: How many identical customers each row stands for (optional).

        Raises:
            InvalidDataError: arrays of different lengths, a negative or non-finite value, a
                frequency that is not a whole number, a recency after ``T`` (the error's
                ``column`` and ``row`` say where).
            InvalidArgumentError: a negative ``penalizer``.
            FitError: no customers, no repeat purchase at all, or an optimizer that did not
                converge.
        """
        model: FittedBetaGeo = FittedBetaGeo._wrap(
            _fit("BetaGeo", self.penalizer, frequency, recency, T, weights)
        )
        return model

    def __repr__(self) -> str:
        """The configuration."""
        return f"BetaGeo(penalizer={self.penalizer!r})"


class ModifiedBetaGeo:
    """The MBG/NBD model, unfitted: its configuration. ``fit`` gives a
    :class:`FittedModifiedBetaGeo`.

    Attributes:
        penalizer: L2 penalty on the parameters (0 for none).
    """

    __slots__ = ("penalizer",)

    penalizer: float

    def __init__(self, penalizer: float = 0.0) -> None:
        """A model with the given ``penalizer``."""
        self.penalizer = penalizer

    def fit(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        *,
        weights: Optional[ArrayLike] = None,
    ) -> FittedModifiedBetaGeo:
        """Fits the model to one row per customer by maximum likelihood.

        Args:
            frequency: Repeat purchases of each customer (whole numbers).
            recency: Time of each customer's last purchase since their first (0 without
                repeat purchase).
            T: Time since each customer's first purchase (the same unit as ``recency``).
            weights: How many identical customers each row stands for (optional).

        Raises:
            InvalidDataError: arrays of different lengths, a negative or non-finite value, a
                frequency that is not a whole number, a recency after ``T`` (the error's
                ``column`` and ``row`` say where).
            InvalidArgumentError: a negative ``penalizer``.
            FitError: no customers, no repeat purchase at all, or an optimizer that did not
                converge.
        """
        model: FittedModifiedBetaGeo = FittedModifiedBetaGeo._wrap(
            _fit("ModifiedBetaGeo", self.penalizer, frequency, recency, T, weights)
        )
        return model

    def __repr__(self) -> str:
        """The configuration."""
        return f"ModifiedBetaGeo(penalizer={self.penalizer!r})"


class ParetoNBD:
    """The Pareto/NBD model, unfitted: its configuration. ``fit`` gives a
    :class:`FittedParetoNBD`.

    Attributes:
        penalizer: L2 penalty on the parameters (0 for none).
    """

    __slots__ = ("penalizer",)

    penalizer: float

    def __init__(self, penalizer: float = 0.0) -> None:
        """A model with the given ``penalizer``."""
        self.penalizer = penalizer

    def fit(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        *,
        weights: Optional[ArrayLike] = None,
    ) -> FittedParetoNBD:
        """Fits the model to one row per customer by maximum likelihood.

        Args:
            frequency: Repeat purchases of each customer (whole numbers).
            recency: Time of each customer's last purchase since their first (0 without
                repeat purchase).
            T: Time since each customer's first purchase (the same unit as ``recency``).
            weights: How many identical customers each row stands for (optional).

        Raises:
            InvalidDataError: arrays of different lengths, a negative or non-finite value, a
                frequency that is not a whole number, a recency after ``T`` (the error's
                ``column`` and ``row`` say where).
            InvalidArgumentError: a negative ``penalizer``.
            FitError: no customers, no repeat purchase at all, or an optimizer that did not
                converge.
        """
        model: FittedParetoNBD = FittedParetoNBD._wrap(
            _fit("ParetoNbd", self.penalizer, frequency, recency, T, weights)
        )
        return model

    def __repr__(self) -> str:
        """The configuration."""
        return f"ParetoNBD(penalizer={self.penalizer!r})"


PurchaseModel = Union[FittedBetaGeo, FittedModifiedBetaGeo, FittedParetoNBD]


class FittedGammaGamma:
    """A fitted Gamma-Gamma spend model (Fader & Hardie, note 025): each customer's
    transaction values gamma distributed with shape ``p`` and a rate that is gamma
    distributed across customers (shape ``q``, scale ``v``, note 025's ``gamma``). Made by
    :meth:`GammaGamma.fit`, or with :meth:`from_params`."""

    __slots__ = ("_native",)

    _native: _nexus._GammaGamma

    @classmethod
    def _wrap(cls, native: _nexus._GammaGamma) -> FittedGammaGamma:
        model = cls.__new__(cls)
        model._native = native
        return model

    @classmethod
    def from_params(cls, params: Mapping[str, float]) -> FittedGammaGamma:
        """A model from known parameters ``p``, ``q``, ``v`` (all positive).

        Raises:
            InvalidArgumentError: a parameter is missing, unknown or not positive.
        """
        return cls._wrap(_nexus._GammaGamma.from_params(_params_text(params)))

    @property
    def params(self) -> Dict[str, float]:
        """The parameters ``p``, ``q`` and ``v`` (``v`` in the money unit). A fresh dict."""
        return dict(self._native.params())

    @property
    def standard_errors(self) -> Optional[Dict[str, float]]:
        """The standard errors of the parameters, by name, or ``None`` (see
        :attr:`FittedBetaGeo.standard_errors`)."""
        errors = self._native.standard_errors()
        return None if errors is None else dict(errors)

    @property
    def log_likelihood(self) -> Optional[float]:
        """The total log-likelihood of the repeat buyers' mean values at the estimate."""
        return self._native.log_likelihood

    @property
    def n_customers(self) -> int:
        """The number of repeat buyers fitted."""
        return self._native.n_customers

    @property
    def population_mean(self) -> float:
        """The population mean transaction value ``p v / (q - 1)`` (infinite when
        ``q <= 1``)."""
        return self._native.population_mean

    def expected_average_value(self, frequency: ArrayLike, monetary_value: ArrayLike) -> Any:
        """The expected mean transaction value of each customer, a weighted mean of their own
        mean and the population's (lifetimes' ``conditional_expected_average_profit``); the
        population mean for a customer without repeat purchase."""
        scalar = _is_scalar(frequency) and _is_scalar(monetary_value)
        raw = self._native.expected_average_value(
            _floats("frequency", frequency), _floats("monetary_value", monetary_value)
        )
        return _result(raw, scalar)

    def clv(
        self,
        model: PurchaseModel,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        monetary_value: ArrayLike,
        *,
        months: int = 12,
        discount_rate: float = 0.01,
        unit: Unit = "days",
    ) -> Any:
        """Customer lifetime value over the next ``months`` months (lifetimes'
        ``customer_lifetime_value``): each month's expected purchases under ``model`` times
        the expected average value, discounted by ``discount_rate`` a month.

        Args:
            model: A fitted BG/NBD, MBG/NBD or Pareto/NBD model.
            frequency: Repeat purchases of each customer.
            recency: Time of each customer's last purchase since their first.
            T: Time since each customer's first purchase.
            monetary_value: The mean value of each customer's repeat purchases.
            months: The horizon, in months of 30 days.
            discount_rate: The monthly discount rate (0.01 is 1% a month).
            unit: The time unit of ``recency``, ``T`` and ``model``: ``"days"`` or
                ``"weeks"``.

        Raises:
            InvalidDataError: bad customer arrays.
            InvalidArgumentError: a negative ``discount_rate``, an unknown ``unit``.
        """
        if not isinstance(model, _FittedPurchaseModel):
            raise TypeError(
                "model must be a fitted BetaGeo, ModifiedBetaGeo or ParetoNBD model, "
                f"not {type(model).__name__}"
            )
        f, r, age, scalar = _customers(frequency, recency, T)
        raw = self._native.clv(
            model._native,
            f,
            r,
            age,
            _floats("monetary_value", monetary_value),
            months=months,
            discount_rate=float(discount_rate),
            unit=unit,
        )
        return _result(raw, scalar and _is_scalar(monetary_value))

    def __repr__(self) -> str:
        """The model's parameters and fit."""
        params = " ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        fit = ""
        if self.log_likelihood is not None:
            fit = f", {self.n_customers} customers, log-likelihood {self.log_likelihood:.2f}"
        return f"<FittedGammaGamma {params}{fit}>"


class GammaGamma:
    """The Gamma-Gamma spend model, unfitted: its configuration. ``GammaGamma().fit(
    frequency, monetary_value)`` gives a :class:`FittedGammaGamma`.

    Attributes:
        penalizer: L2 penalty on the parameters (lifetimes' ``penalizer_coef``; 0 for none).
    """

    __slots__ = ("penalizer",)

    penalizer: float

    def __init__(self, penalizer: float = 0.0) -> None:
        """A model with the given ``penalizer``."""
        self.penalizer = penalizer

    def fit(
        self,
        frequency: ArrayLike,
        monetary_value: ArrayLike,
        *,
        weights: Optional[ArrayLike] = None,
    ) -> FittedGammaGamma:
        """Fits the model to the repeat buyers (rows with ``frequency`` 0 are ignored).

        Args:
            frequency: Repeat purchases of each customer.
            monetary_value: The mean value of each customer's repeat purchases (positive
                for repeat buyers).
            weights: How many identical customers each row stands for (optional).

        Raises:
            InvalidDataError: arrays of different lengths, a bad value.
            FitError: no repeat buyer, or an optimizer that did not converge.
        """
        w = None if weights is None else _floats("weights", weights)
        native = _nexus._GammaGamma.fit(
            _floats("frequency", frequency),
            _floats("monetary_value", monetary_value),
            penalizer=float(self.penalizer),
            weights=w,
        )
        return FittedGammaGamma._wrap(native)

    def __repr__(self) -> str:
        """The configuration."""
        return f"GammaGamma(penalizer={self.penalizer!r})"
