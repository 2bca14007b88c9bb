"""`make soak`: the whole system under faults for a bounded time, then a reconciliation in one line.

`python -m soak --requests 2000 --minutes 10` starts its own Redis, devstore, web server, two Celery
workers and beat on a fresh PostgreSQL database, submits shopper requests (cancels, address changes,
item edits on orders the portal holds from fulfilment during their windows; returns of orders shipped
before, decided by the policy, in our console or in Shopify's admin; EU withdrawals; some by guests with
a lookup code's pass) through the services, while the devstore fails calls, drops and duplicates
webhooks, a worker is killed and Redis is stopped, then checks that nothing was lost, done twice or left
different between the portal and the store (its fulfilment holds and returns included), nor any
withdrawal acknowledged other than once (every e-mail sent is counted, `soak.mail`).
"""
