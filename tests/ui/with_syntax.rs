use toro::Lock;

async fn no_body(a: &Lock) {
    toro::with!(x = a.acquire());
}

async fn no_equals(a: &Lock) {
    toro::with!(x a.acquire() => {});
}

async fn nothing() {
    toro::with!();
}

fn main() {}
