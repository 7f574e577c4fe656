"""The region's e-licence library: issuing departments, licences as W3C verifiable
credentials (VC-JWT), status lists, the mutual-recognition list, cross-region verification
over the exchange, holder presentations and the holder's view of who looked."""
