"""netscope's own exception types."""


class NotFittedError(ValueError, AttributeError):
    """An estimator's result was asked for before ``fit`` succeeded.

    Subclasses ValueError and AttributeError, as scikit-learn's ``NotFittedError`` does, so code
    that catches either keeps working.
    """


def check_fitted(estimator, attribute: str) -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has the fitted ``attribute``."""
    if not hasattr(estimator, attribute):
        name = type(estimator).__name__
        raise NotFittedError(f"this {name} is not fitted yet: call {name}.fit() first")


def check_kept(value, what: str, needs: str):
    """``value``, or ValueError: ``what`` needs ``needs``, which the fit did not keep (None)."""
    if value is None:
        raise ValueError(f"{what} needs {needs}")
    return value
