#[toro::main]
async fn main(port: u16) {
    println!("{port}");
}
