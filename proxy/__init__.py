"""feedback-proxy: speak Opik, Tracia and Scale EGP feedback APIs, deliver to any of them."""

__version__ = "0.1.0"
