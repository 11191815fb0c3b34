"""Sales forecasting: ETS with automatic model selection, cross-validation, batch forecasts
of many series, sales and product-demand forecasts over the analytics' tables, and
intermittent-demand methods (re-exported as ``nexus.AutoETS``, ``nexus.ETS``,
``nexus.FittedETS``, ``nexus.cross_validate``, ``nexus.forecast_many``,
``nexus.forecast_sales``, ``nexus.product_performance``, ``nexus.croston`` and their
result types).

One series at a time::

    fit = nexus.AutoETS(season_length=12).fit(y)      # a list, numpy array or Series
    print(fit.model, fit.params, fit.aicc)             # ETS(M,A,M) {'alpha': ...} ...
    fit.predict(12, level=(80, 95))                    # mean, lo-80, hi-80, lo-95, hi-95

Many series in statsforecast's long format (``unique_id``, ``ds``, ``y``), in parallel::

    forecasts = nexus.forecast_many(df, h=12)          # unique_id, ds, model, AutoETS, ...

The ETS models are those of R's ``forecast::ets`` and statsforecast's ``AutoETS`` (same
likelihood, bounds and selection by AICc), fitted by the Rust core
(``nexus_core::analytics::forecast``) with the GIL released. An unfitted model is its
configuration; ``fit`` returns a :class:`FittedETS`, a separate type, so predicting before
fitting cannot happen. Series may be lists, tuples, numpy arrays, pandas or polars Series
(converted to ``float64``; a missing value is an error naming its row). Tables are read as
the customer analytics read them and come back as the same kind of table.
"""

from __future__ import annotations

import importlib.util
import warnings
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Dict, List, Literal, Optional, Sequence, Tuple, Union

from . import _nexus
from ._analytics import DateLike, Period, Table, _date_arg, _read, _write
from ._clv import ArrayLike, _floats, _result
from ._errors import InvalidArgumentError

__all__ = [
    "Accuracy",
    "AutoETS",
    "CrossValidation",
    "CVWindow",
    "DemandProfile",
    "ETS",
    "FittedETS",
    "IntermittentForecast",
    "Kind",
    "Levels",
    "ProductPerformance",
    "croston",
    "cross_validate",
    "forecast_many",
    "forecast_sales",
    "product_performance",
]

_EPOCH = date(1970, 1, 1)

Kind = Literal["pandas", "polars", "pyarrow"]
"""The kind of table a forecast comes back as."""

Levels = Union[float, Sequence[float]]
"""Prediction-interval levels in percent, each strictly between 0 and 100: ``(80, 95)``, a
single level ``95``, or ``()`` for none."""


def _levels(level: Levels) -> List[float]:
    """The levels as a list of floats for the native module (checked there)."""
    value: Any = level  # anything may come from an untyped caller
    try:
        if isinstance(value, (bool, str, bytes)):
            raise TypeError
        if isinstance(value, (int, float)):
            return [float(value)]
        return [float(v) for v in value]
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            f"invalid argument `level`: must be a percentage or a sequence of percentages, "
            f"not {level!r}"
        ) from None


def _series_kind(y: Any) -> Optional[str]:
    """``"pandas"`` or ``"polars"`` for a Series of that library, else ``None``."""
    library = type(y).__module__.split(".", 1)[0]
    return library if library in ("pandas", "polars") else None


def _out_kind(kind: Optional[str], default: Optional[str]) -> str:
    """The kind of table to build: ``kind`` if given, else that of the input, else pandas
    when it is installed (else a pyarrow or polars table)."""
    if kind is not None:
        if kind not in ("pandas", "polars", "pyarrow"):
            raise ValueError(f"kind must be 'pandas', 'polars', 'pyarrow' or None, not {kind!r}")
        return kind
    if default is not None:
        return default
    return "pandas" if importlib.util.find_spec("pandas") is not None else "arrow"


def _day(days: int) -> date:
    return _EPOCH + timedelta(days=days)


def _warn_failures(noun: str, failed: Sequence[Tuple[Any, str, str]]) -> None:
    """One warning naming every series (or group) that could not be forecast, and why;
    ``noun`` is ``"series"`` or ``"group"``."""
    if not failed:
        return
    reasons = "; ".join(f"{key!r}: {message}" for key, _, message in failed)
    if noun != "series" and len(failed) > 1:
        noun += "s"
    verb = "was" if len(failed) == 1 else "were"
    warnings.warn(
        f"{len(failed)} {noun} could not be forecast and {verb} left out: {reasons}",
        UserWarning,
        stacklevel=3,
    )


# --- ETS ---------------------------------------------------------------------------------


class FittedETS:
    """A fitted ETS model: made by :meth:`AutoETS.fit` or :meth:`ETS.fit`.

    Its properties are the fit's (fresh objects on every access); :meth:`predict`
    forecasts.
    """

    __slots__ = ("_native", "_kind")

    _native: _nexus._FittedEts
    _kind: Optional[str]

    @classmethod
    def _wrap(cls, native: _nexus._FittedEts, kind: Optional[str]) -> FittedETS:
        model = cls.__new__(cls)
        model._native = native
        model._kind = kind
        return model

    @property
    def model(self) -> str:
        """The model's name: ``"ETS(M,Ad,M)"`` (error, trend, season; ``Ad`` a damped
        trend)."""
        return self._native.model

    @property
    def code(self) -> str:
        """The model's compact code (``"MAdM"``), as :class:`ETS` takes it."""
        return self._native.code

    @property
    def season_length(self) -> int:
        """The seasonal period fitted (1 without a season)."""
        return self._native.season_length

    @property
    def params(self) -> Dict[str, float]:
        """The smoothing parameters the model has: ``alpha``, and ``beta`` (trend),
        ``gamma`` (season) and ``phi`` (damping) when it has those terms. A fresh dict."""
        return dict(self._native.params())

    @property
    def aic(self) -> float:
        """Akaike's information criterion."""
        return self._native.aic

    @property
    def aicc(self) -> float:
        """AIC corrected for small samples (the default selection criterion)."""
        return self._native.aicc

    @property
    def bic(self) -> float:
        """Schwarz's Bayesian information criterion."""
        return self._native.bic

    @property
    def loglik(self) -> float:
        """The log-likelihood, in R's convention (``forecast::ets``)."""
        return self._native.loglik

    @property
    def sigma2(self) -> float:
        """The innovation variance (relative for multiplicative errors)."""
        return self._native.sigma2

    @property
    def mse(self) -> float:
        """The mean squared one-step error, in the data's units."""
        return self._native.mse

    @property
    def n_params(self) -> int:
        """The number of estimated parameters, the variance included."""
        return self._native.n_params

    @property
    def initial_level(self) -> float:
        """The estimated initial level."""
        return self._native.initial_level

    @property
    def initial_trend(self) -> Optional[float]:
        """The estimated initial trend (``None`` without a trend)."""
        return self._native.initial_trend

    @property
    def initial_seasons(self) -> Any:
        """The estimated initial seasonal states, in time order (empty without a season): a
        numpy array, or a list without numpy."""
        return _result(self._native.initial_seasons(), False)

    @property
    def fitted(self) -> Any:
        """The one-step fitted values, aligned with the series: a numpy array, or a list
        without numpy."""
        return _result(self._native.fitted(), False)

    @property
    def residuals(self) -> Any:
        """The residuals ``y - fitted``: a numpy array, or a list without numpy."""
        return _result(self._native.residuals(), False)

    @property
    def candidates(self) -> Dict[str, float]:
        """For an :class:`AutoETS` fit, every candidate model by code (``"MAM"``) with its
        value of the selection criterion (AICc by default; infinite for a model that could
        not be fitted). Empty for an :class:`ETS` fit. A fresh dict."""
        return dict(self._native.candidates())

    def predict(self, h: int, *, level: Levels = (80, 95), kind: Optional[Kind] = None) -> Any:
        """Forecasts the next ``h`` steps with prediction intervals.

        Intervals are analytic for models without a multiplicative season and come from
        2,000 simulated sample paths otherwise (seeded: the same fit always gives the same
        intervals).

        Args:
            h: The number of steps (0 for an empty table).
            level: The interval levels in percent (``()`` for none).
            kind: ``"pandas"``, ``"polars"`` or ``"pyarrow"``. By default the kind of the
                Series the model was fitted to, else pandas when it is installed (else a
                pyarrow table, or polars).

        Returns:
            One row per step: ``mean``, then ``lo-{level}`` and ``hi-{level}`` for each
            level in the order given (statsforecast's names: ``lo-80``, ``hi-80``, ...).

        Raises:
            InvalidArgumentError: a negative ``h``, a level outside (0, 100) or given twice.
            ValueError: an unknown ``kind``.
        """
        out = _out_kind(kind, self._kind)
        return _write(self._native.predict(h, level=_levels(level)), out)

    def __repr__(self) -> str:
        """The model, its parameters and AICc."""
        params = " ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        return f"<FittedETS {self.model} {params}, AICc {self.aicc:.2f}>"


class AutoETS:
    """Automatic ETS: every admissible model of the family is fitted and the best by an
    information criterion wins, as R's ``forecast::ets(y)`` and statsforecast's
    ``AutoETS``. ``AutoETS(12).fit(y)`` gives a :class:`FittedETS`.

    Candidates are every combination of additive or multiplicative errors, no, additive or
    damped trend, and no, additive or multiplicative season (with a season), less those
    with additive errors and a multiplicative season, and the multiplicative ones for data
    that are not all positive.

    Attributes:
        season_length: The seasonal period (12 for monthly data with a yearly season);
            ``None`` or 1 for no season. A season longer than 24, or a series shorter than
            two seasons, is fitted without one.
        model: Only these models are candidates: codes such as ``["MAM", "ANN", "AAdN"]``
            (or one code); ``None`` for all.
        damped: ``True`` only damped trends, ``False`` no damped trends, ``None`` both.
        ic: The criterion that picks the model: ``"aicc"`` (default), ``"aic"`` or
            ``"bic"``.
    """

    __slots__ = ("season_length", "model", "damped", "ic")

    season_length: Optional[int]
    model: Optional[Union[str, Sequence[str]]]
    damped: Optional[bool]
    ic: Literal["aicc", "aic", "bic"]

    def __init__(
        self,
        season_length: Optional[int] = None,
        *,
        model: Optional[Union[str, Sequence[str]]] = None,
        damped: Optional[bool] = None,
        ic: Literal["aicc", "aic", "bic"] = "aicc",
    ) -> None:
        """A selection with the given settings (checked by :meth:`fit`)."""
        self.season_length = season_length
        self.model = model
        self.damped = damped
        self.ic = ic

    def fit(self, y: ArrayLike) -> FittedETS:
        """Fits every candidate to ``y`` by maximum likelihood and returns the best.

        Args:
            y: The series, oldest first.

        Raises:
            InvalidDataError: an empty series, a missing or non-finite value (its ``row``
                says where), fewer than 3 values.
            InvalidArgumentError: a ``season_length`` below 1, an unknown model code, an
                unknown ``ic``.
            FitError: no candidate could be fitted.
        """
        models: Optional[List[str]]
        if self.model is None:
            models = None
        elif isinstance(self.model, str):
            models = [self.model]
        else:
            models = [str(m) for m in self.model]
        native = _nexus._FittedEts.auto(
            _floats("y", y),
            season_length=self.season_length,
            models=models,
            damped=self.damped,
            ic=self.ic,
        )
        return FittedETS._wrap(native, _series_kind(y))

    def __repr__(self) -> str:
        """The configuration."""
        return (
            f"AutoETS(season_length={self.season_length!r}, model={self.model!r}, "
            f"damped={self.damped!r}, ic={self.ic!r})"
        )


class ETS:
    """One ETS model with a fixed specification. ``ETS("MAM", 12).fit(y)`` gives a
    :class:`FittedETS`.

    Attributes:
        model: The model's code, as R and statsforecast write it: ``"MAM"``, ``"AAdN"``,
            ``"ANN"``, or the printed form ``"ETS(M,A,M)"`` (error A or M; trend N, A or
            Ad; season N, A or M).
        season_length: The seasonal period, at least 2 (at most 24) for a seasonal model;
            ignored for the others.
    """

    __slots__ = ("model", "season_length")

    model: str
    season_length: int

    def __init__(self, model: str, season_length: int = 1) -> None:
        """The model ``model`` with seasonal period ``season_length``."""
        self.model = model
        self.season_length = season_length

    def fit(self, y: ArrayLike) -> FittedETS:
        """Fits the model to ``y`` by maximum likelihood.

        Raises:
            InvalidDataError: a missing or non-finite value, a value that is not positive
                for a multiplicative model, a series too short for the model (two seasons
                at least for a seasonal one).
            InvalidArgumentError: an unknown code, a seasonal model with a season length
                below 2 or above 24.
            FitError: the optimizer found no admissible model.
        """
        native = _nexus._FittedEts.fixed(
            _floats("y", y), model=self.model, season_length=self.season_length
        )
        return FittedETS._wrap(native, _series_kind(y))

    def __repr__(self) -> str:
        """The configuration."""
        return f"ETS(model={self.model!r}, season_length={self.season_length!r})"


# --- Cross-validation --------------------------------------------------------------------


@dataclass(frozen=True)
class Accuracy:
    """Accuracy of a forecast against what happened.

    Attributes:
        mae: The mean absolute error.
        rmse: The root mean squared error.
        mape: The mean absolute percentage error, in percent (over the non-zero actual
            values; ``None`` when all are 0).
        smape: The symmetric mean absolute percentage error, in percent (0 to 200).
        mase: The mean absolute scaled error: the MAE over that of the seasonal naive
            forecast in the training series (``None`` when that is undefined: a training
            series too short, or constant).
    """

    mae: float
    rmse: float
    mape: Optional[float]
    smape: float
    mase: Optional[float]


@dataclass(frozen=True, eq=False)
class CVWindow:
    """One window of a cross-validation.

    Compared by identity (arrays have no plain ``==``); compare the fields instead.

    Attributes:
        cutoff: The length of the training prefix: the model saw ``y[:cutoff]`` and
            forecast ``y[cutoff:cutoff + h]``.
        actual: The actual values of the window (a numpy array, or a list without numpy).
        forecast: The forecast of those values.
        accuracy: The forecast's accuracy (MASE scaled by the training prefix).
    """

    cutoff: int
    actual: Any = field(repr=False)
    forecast: Any = field(repr=False)
    accuracy: Accuracy


@dataclass(frozen=True, eq=False)
class CrossValidation:
    """The result of :func:`cross_validate`.

    Attributes:
        windows: The windows, earliest cutoff first.
        accuracy: The mean accuracy over the windows (``mape`` and ``mase`` over the
            windows that define them).
    """

    windows: List[CVWindow]
    accuracy: Accuracy


def cross_validate(
    y: ArrayLike,
    *,
    h: int,
    windows: int = 3,
    step: Optional[int] = None,
    season_length: int = 1,
) -> CrossValidation:
    """Rolling-origin cross-validation of :class:`AutoETS`: the model is selected and fitted
    again on growing prefixes of ``y`` and each forecast is scored against the values that
    followed (statsforecast's ``cross_validation``).

    The last window ends with the series; each earlier one starts ``step`` periods before
    the next. The windows run in parallel.

    Args:
        y: The series, oldest first.
        h: The horizon of every window.
        windows: The number of windows.
        step: The distance between consecutive cutoffs; ``None`` means ``h`` (test periods
            that do not overlap).
        season_length: The season of ``AutoETS(season_length)``, which also scales MASE (1:
            no season, MASE against the naive forecast).

    Returns:
        The windows and the mean accuracy.

    Raises:
        InvalidDataError: a missing or non-finite value; a series too short for the windows
            (2 values at least before the first).
        InvalidArgumentError: an ``h``, ``windows``, ``step`` or ``season_length`` below 1.
        FitError: no model could be fitted in a window (the message names its cutoff).
    """
    raw_windows, mean = _nexus.cross_validate(
        _floats("y", y), h=h, windows=windows, step=step, season_length=season_length
    )
    return CrossValidation(
        windows=[
            CVWindow(
                cutoff=cutoff,
                actual=_result(actual, False),
                forecast=_result(forecast, False),
                accuracy=Accuracy(*accuracy),
            )
            for cutoff, actual, forecast, accuracy in raw_windows
        ],
        accuracy=Accuracy(*mean),
    )


# --- Tables of series --------------------------------------------------------------------


def forecast_many(
    frame: Table,
    *,
    id: str = "unique_id",
    ds: str = "ds",
    y: str = "y",
    h: int,
    season_length: Optional[int] = None,
    level: Levels = (),
) -> Any:
    """Forecasts every series of a long table with :class:`AutoETS`, in parallel on all
    cores: statsforecast's ``StatsForecast(models=[AutoETS(season_length=12)]).forecast(df,
    h=12)`` in one call.

    Rows may come in any order; each series is sorted by time and must be regular (a fixed
    number of days, or whole months keeping the day of the month: month starts such as
    ``2024-01-01``, ``2024-02-01``). A series that cannot be forecast (too short, irregular,
    a missing value) is left out with a :class:`UserWarning` naming it and the reason; the
    others are forecast.

    Args:
        frame: The table (pandas, polars, pyarrow or another Arrow producer).
        id: The series id column (integers or text).
        ds: The time column: dates, datetimes, date text, or integers.
        y: The value column.
        h: The number of steps to forecast.
        season_length: The seasonal period. Default: inferred from the spacing of ``ds``
            (12 for monthly dates, 4 quarterly, 7 daily, 52 weekly; none for integers).
        level: The interval levels in percent (``()`` for none).

    Returns:
        The forecasts in statsforecast's long format, sorted by id: the id column, the time
        column (the future times, in the input's type), ``model`` (the selected model,
        ``"ETS(M,A,M)"``), ``AutoETS`` (the mean), and ``AutoETS-lo-{level}`` /
        ``AutoETS-hi-{level}`` per level; the same kind of table as ``frame``.

    Raises:
        InvalidDataError: a column is missing or has a bad value.
        InvalidArgumentError: an ``h`` or ``season_length`` below 1, a level outside
            (0, 100).
    """
    table, kind = _read(frame, [id, ds, y])
    result, failed = _nexus.forecast_many(
        table, id=id, ds=ds, y=y, h=h, season_length=season_length, level=_levels(level)
    )
    _warn_failures("series", failed)
    return _write(result, kind)


def forecast_sales(
    transactions: Table,
    *,
    freq: Period = "month",
    h: int = 12,
    by: Optional[str] = None,
    level: Levels = (80, 95),
    measure: Literal["revenue", "orders", "units"] = "revenue",
    season_length: Optional[int] = None,
    start: Optional[DateLike] = None,
    end: Optional[DateLike] = None,
    customer: str = "customer_id",
    order: Optional[str] = "order_id",
    date: str = "date",
    amount: str = "amount",
    items: Optional[str] = None,
) -> Any:
    """Forecasts sales per period ``h`` periods ahead, for the whole table or for each
    value of a ``by`` column.

    The history is the measure per calendar period, as :func:`nexus.kpis` counts it
    (periods without a sale are zeros); a last period that the data end before is left
    out (a half-finished month would look like a slump). Periods with a season of at most
    24 (months: 12, quarters: 4, days: 7) are forecast by :class:`AutoETS` with that
    season; weeks (52) by MSTL with a non-seasonal AutoETS on the seasonally adjusted
    series, and days by MSTL with weekly and yearly seasons once two years exist. Forecasts
    and bounds are clipped at zero.

    Args:
        transactions: The transactions table.
        freq: The period: ``"day"``, ``"week"``, ``"month"``, ``"quarter"`` or
            ``"year"``.
        h: The number of periods to forecast.
        by: A column to forecast each value of separately (``"store"``).
        level: The interval levels in percent (``()`` for none).
        measure: ``"revenue"`` (the sum of the amounts), ``"orders"`` (distinct orders) or
            ``"units"`` (the sum of ``items``).
        season_length: The seasonal period. Default: the period's usual one.
        start: The first day counted. Default: the first transaction's.
        end: The last day counted. Default: the last transaction's.
        customer: The customer id column.
        order: The order id column; ``None``: every row is one order.
        date: The date column.
        amount: The amount column.
        items: The column of units per order (for ``measure="units"``).

    Returns:
        One row per (group and) forecast period: the ``by`` column when given, ``period``
        (the period's first day), ``model`` (``"ETS(M,A,M)"``, ``"MSTL(52)+ETS(A,N,N)"``),
        ``mean``, and ``lo-{level}`` / ``hi-{level}`` per level; the same kind of table as
        ``transactions``. With ``by``, a group that cannot be forecast is left out with a
        :class:`UserWarning` naming it.

    Raises:
        InvalidDataError: a column is missing or has a bad value; without ``by``, a
            history too short to forecast.
        InvalidArgumentError: an unknown ``freq`` or ``measure``, units without ``items``,
            an ``h`` below 1, a level outside (0, 100), a start after the end.
        FitError: without ``by``, no model could be fitted.
    """
    table, kind = _read(transactions, [by, customer, order, date, amount, items])
    result, failed = _nexus.forecast_sales(
        table,
        freq=freq,
        by=by,
        customer=customer,
        order=order,
        date=date,
        amount=amount,
        items=items,
        measure=measure,
        h=h,
        level=_levels(level),
        season_length=season_length,
        start=_date_arg("start", start),
        end=_date_arg("end", end),
    )
    _warn_failures("group", failed)
    return _write(result, kind)


# --- Products ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ProductPerformance:
    """The product performance of :func:`product_performance`.

    Compared by identity (tables have no plain ``==``); compare the fields instead.

    Attributes:
        products: One row per product with a line on or before ``as_of``, ranked by window
            revenue: ``product``, ``name`` (with a name column), ``revenue``, ``units``,
            ``orders``, ``avg_price``, ``share``, ``cumulative_share``, ``abc`` (``"A"``,
            ``"B"``, ``"C"``), ``cv``, ``xyz`` (``"X"``, ``"Y"``, ``"Z"``), ``velocity``
            (units a day), ``trend`` (``"rising"``, ``"declining"``, ``"flat"``),
            ``trend_slope``, ``trend_relative_slope``, ``trend_p_value``, ``refund_rate``
            (with a refunded column), ``first_sale``, ``last_sale``,
            ``days_since_last_sale``, ``forecast_method``, ``forecast_total`` (units over
            the ``h`` forecast periods) and ``forecast_error``.
        summary: The four lists in one long table: ``list`` (``"top_sellers"``,
            ``"rising"``, ``"declining"``, ``"dead_stock"``), ``rank`` (from 1),
            ``product``, ``name`` (with a name column), ``revenue``, ``units``, ``value``
            and ``figure`` (what the list is ordered by).
        as_of: The day of the analysis.
        window: The window's first and last day (inclusive).
        forecast_start: The first day of the first forecast period.
        top_sellers: The product ids of the top sellers by revenue, best first.
        rising: Products with a significant rising trend, steepest first.
        declining: Products with a significant declining trend, steepest first.
        dead_stock: Products without a sale for ``dead_days`` or more, longest first.
    """

    products: Any = field(repr=False)
    summary: Any = field(repr=False)
    as_of: date
    window: Tuple[date, date]
    forecast_start: date
    top_sellers: List[str]
    rising: List[str]
    declining: List[str]
    dead_stock: List[str]


def product_performance(
    lines: Table,
    *,
    window_days: int = 90,
    h: int = 4,
    product: str = "product",
    date: str = "date",
    quantity: str = "quantity",
    amount: str = "amount",
    order: Optional[str] = "order",
    refunded: Optional[str] = None,
    name: Optional[str] = None,
    period: Period = "week",
    dead_days: int = 60,
    top: int = 10,
    level: Levels = (80, 95),
    as_of: Optional[DateLike] = None,
    abc: Tuple[float, float] = (0.80, 0.95),
    xyz: Tuple[float, float] = (0.5, 1.0),
    trend_periods: int = 8,
    trend_alpha: float = 0.05,
) -> ProductPerformance:
    """Product performance over the last ``window_days`` days of an order-lines table:
    revenue ranking and ABC classes, demand variability (XYZ), velocity, trends
    (Mann-Kendall and Sen's slope), refund rates, dead stock, and a demand forecast per
    product (Croston, SBA or TSB for intermittent sellers, AutoETS for regular ones).

    Demand is units per full ``period`` inside the window (a period that ``as_of`` cuts
    short is left out).

    Args:
        lines: One row per order line (pandas, polars, pyarrow or another Arrow producer).
        window_days: The window's length in days, ending on ``as_of``.
        h: Periods to forecast (0: no forecast).
        product: The product id column (integers or text).
        date: The date column.
        quantity: The units column (never negative).
        amount: The line-revenue column (never negative).
        order: The order id column; ``None``: every line is one order.
        refunded: The refunded-units column, for ``refund_rate``.
        name: The product-title column (its most recent non-empty value is carried over).
        period: The demand period: ``"day"``, ``"week"``, ``"month"``, ``"quarter"`` or
            ``"year"``.
        dead_days: Days without a sale that make a product dead stock.
        top: The length of the top-sellers, rising and declining lists.
        level: The forecast's interval levels in percent.
        as_of: The day of the analysis. Default: the last line's.
        abc: The cumulative revenue-share cut-offs of classes A and B.
        xyz: The coefficient-of-variation cut-offs of classes X and Y.
        trend_periods: How many of the most recent full periods the trend test reads (3 to
            1,000).
        trend_alpha: The trend test's significance level.

    Returns:
        The ``products`` and ``summary`` tables (the same kind of table as ``lines``), the
        window and the four lists as product ids.

    Raises:
        InvalidDataError: a column is missing or has a bad value; no lines.
        InvalidArgumentError: an option out of range, an ``as_of`` before the first line.
    """
    table, kind = _read(lines, [product, date, quantity, amount, order, refunded, name])
    (
        products,
        summary,
        as_of_day,
        (first, last),
        forecast_start,
        top_sellers,
        rising,
        declining,
        dead_stock,
    ) = _nexus.product_performance(
        table,
        product=product,
        date=date,
        quantity=quantity,
        amount=amount,
        order=order,
        refunded=refunded,
        name=name,
        window_days=window_days,
        as_of=_date_arg("as_of", as_of),
        period=period,
        abc=(float(abc[0]), float(abc[1])),
        xyz=(float(xyz[0]), float(xyz[1])),
        trend_periods=trend_periods,
        trend_alpha=float(trend_alpha),
        dead_days=dead_days,
        h=h,
        level=_levels(level),
        top=top,
    )
    return ProductPerformance(
        products=_write(products, kind),
        summary=_write(summary, kind),
        as_of=_day(as_of_day),
        window=(_day(first), _day(last)),
        forecast_start=_day(forecast_start),
        top_sellers=list(top_sellers),
        rising=list(rising),
        declining=list(declining),
        dead_stock=list(dead_stock),
    )


# --- Intermittent demand -----------------------------------------------------------------


@dataclass(frozen=True)
class DemandProfile:
    """The demand pattern of a series (Syntetos, Boylan & Croston 2005).

    Attributes:
        adi: The average demand interval: periods over periods with demand (infinite
            without demand).
        cv2: The squared coefficient of variation of the non-zero demand sizes.
        nonzero: The number of periods with demand.
        demand_class: ``"smooth"``, ``"erratic"``, ``"intermittent"`` or ``"lumpy"`` (cut-offs
            ADI 1.32 and CV² 0.49).
    """

    adi: float
    cv2: float
    nonzero: int
    demand_class: str


@dataclass(frozen=True, eq=False)
class IntermittentForecast:
    """The result of :func:`croston`.

    Compared by identity (tables have no plain ``==``); compare the fields instead.

    Attributes:
        method: The method used: ``"croston"``, ``"sba"``, ``"tsb"``, or with
            ``method="auto"`` for regular demand the AutoETS model (``"ETS(A,N,N)"``).
        forecast: One row per step: ``mean``, ``lo-{level}``, ``hi-{level}``.
        profile: The series' demand profile.
        fitted: The one-step fitted values (NaN at period 0), for Croston, SBA and TSB;
            ``None`` with ``method="auto"``.
        residuals: The residuals ``y - fitted``, as ``fitted``.
    """

    method: str
    forecast: Any = field(repr=False)
    profile: DemandProfile
    fitted: Any = field(repr=False)
    residuals: Any = field(repr=False)


def croston(
    y: ArrayLike,
    *,
    method: Literal["auto", "croston", "sba", "tsb"] = "auto",
    h: int = 1,
    level: Levels = (),
    alpha: float = 0.1,
    alpha_probability: float = 0.1,
    kind: Optional[Kind] = None,
) -> IntermittentForecast:
    """Forecasts intermittent demand (one non-negative quantity per period, many zeros).

    The mean is flat. Intervals are empirical: quantiles of the in-sample one-step
    residuals after the first demand, scaled by the square root of the step, clipped at 0.

    Args:
        y: The demand per period, oldest first.
        method: ``"croston"`` (Croston's method, statsforecast's ``CrostonClassic``),
            ``"sba"`` (the Syntetos-Boylan approximation), ``"tsb"`` (Teunter-Syntetos-Babai,
            which lets the forecast decay when demand stops), or ``"auto"``: the method the
            demand profile calls for (TSB when demand seems to have stopped, SBA for lumpy
            demand, Croston otherwise, and a non-seasonal AutoETS for regular demand).
        h: The number of periods to forecast.
        level: The interval levels in percent (``()`` for none).
        alpha: The smoothing parameter (of the demand sizes for TSB), in (0, 1].
        alpha_probability: TSB's smoothing parameter of the demand probability, in (0, 1].
        kind: The kind of the ``forecast`` table, as for :meth:`FittedETS.predict`.

    Raises:
        InvalidDataError: an empty series, a negative, missing or non-finite value;
            intervals asked for with no period after the first demand.
        InvalidArgumentError: an unknown ``method``, an ``h`` below 1, a smoothing
            parameter outside (0, 1], a level outside (0, 100).
    """
    out = _out_kind(kind, _series_kind(y))
    name, table, profile, fit = _nexus.intermittent_forecast(
        _floats("y", y),
        method=method,
        h=h,
        level=_levels(level),
        alpha=float(alpha),
        alpha_probability=float(alpha_probability),
    )
    fitted = residuals = None
    if fit is not None:
        fitted, residuals = (_result(v, False) for v in fit)
    return IntermittentForecast(
        method=name,
        forecast=_write(table, out),
        profile=DemandProfile(*profile),
        fitted=fitted,
        residuals=residuals,
    )
