"""Live auctions and listings (网络司法拍卖, 土地挂牌, 产权网络竞价, reverse auctions)."""
