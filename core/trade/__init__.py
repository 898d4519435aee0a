"""Trade: the cart and the checkout, orders and their tracking (paid, shipped, received,
completed), offers (made, answered, honoured at checkout, ended), and reviews of sellers."""
