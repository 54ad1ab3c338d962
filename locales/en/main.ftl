lang-name = English
language = Language
skip-to-content = Skip to content
contact-label = Contact
copyright-note = The contents of this page are protected by copyright.
back-to-home = Back to the top page

home-title = API service (linking external services)
home-lead = With the { $bank } API service you can allow external services, such as household-budget and accounting apps, to view the balances and transaction history of your accounts. Your customer ID and password are never shared with them.
home-how-title = How it works
home-step-1 = In the external service you use, start linking your account with us.
home-step-2 = Our login page opens. Authenticate with your customer ID and login password, or with your electronic certificate.
home-step-3 = On the access permission page, check the service and what it may see, then press "Allow". The link is valid for { $days } days.
home-step-4 = When the link expires, register again from the external service. We will e-mail you before it expires.
home-ops-title = What an external service may view
scope-balance = Balance inquiry
scope-balance-help = The current balance of your accounts.
scope-transactions = Transaction history
scope-transactions-help = The deposits and withdrawals of your accounts.
home-never-password = External services can never make transfers or withdrawals.
home-terms-title = Terms of use

platform-lead = The consent portal of credit unions' API services. Please start from your credit union's page.

error-not-found-title = Page not found
error-not-found-message = We could not find the page you were looking for. Please check the address.
error-unavailable-title = The service is busy
error-unavailable-message = The service is temporarily unavailable. Please try again in a little while.
error-internal-title = Something went wrong
error-internal-message = We are sorry: an error occurred. Please try again in a little while.
