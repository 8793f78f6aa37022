-- Composite indexes for the segment shapes teams use most: region + industry
-- + purchase size (PRODUCT.md's target segment), and recent inquiries by tier.
-- Both let a count be answered from the index alone.
CREATE INDEX customers_region_industry_purchase ON customers (region, industry, annual_purchase_fen);
CREATE INDEX customers_inquiry_anchor ON customers (last_inquiry_on, s_anchor_on);
