"""数据交换 exchange: subplatform (push API, pull feed, data quality), federation (hubs, national uplink), ocds."""
