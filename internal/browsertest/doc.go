// Package browsertest drives the real monitor binary in a headless Chromium (chromedp): sign-in,
// live refresh, filters, closing an alert, sign-out and output escaping. It also refreshes the
// screenshots in docs/screenshots when UPDATE_SCREENSHOTS=1. The tests skip when no Chromium
// binary is installed.
package browsertest
