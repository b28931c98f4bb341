// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title JobManager (Lamda devnet)
/// @notice Escrow for GPU jobs: a renter pays when creating a job, confirms the result, and the
///         provider then claims the payment. Written for the Lamda devnet; its ABI matches the
///         deployed contract's interface in shared/contracts/JobManager.abi.json.
///
/// Job lifecycle (JobStatus, stored as uint8 in the ABI):
///   0 None      — no job with this id (the zero value of an unset mapping slot)
///   1 Created   — createJob escrowed the payment; waiting for the renter's confirmation
///   2 Confirmed — the renter accepted the result; the provider may claim the payment
///   3 Paid      — the provider claimed the payment; the job is finished
contract JobManager {
    enum JobStatus {
        None,
        Created,
        Confirmed,
        Paid
    }

    struct Job {
        bytes32 jobId;
        address renter;
        address provider;
        uint256 payment;
        JobStatus status;
        uint256 createdAt;
        uint256 confirmedAt;
    }

    mapping(bytes32 => Job) public jobs;

    uint256 public totalJobsCreated;
    /// Jobs the renter has confirmed (whether or not the provider has claimed yet).
    uint256 public totalJobsCompleted;
    /// Wei held for jobs that are created or confirmed but not yet paid out.
    uint256 public totalEscrowAmount;

    event JobCreated(bytes32 indexed jobId, address indexed renter, address indexed provider, uint256 payment);
    event JobConfirmed(bytes32 indexed jobId, uint256 confirmedAt);
    event PaymentClaimed(bytes32 indexed jobId, address indexed provider, uint256 amount);

    error ReentrancyGuardReentrantCall();

    // Reentrancy lock. 0 (never used) and 1 both mean "not inside a guarded call", so the
    // contract needs no constructor (the reference ABI has none); 2 means "inside".
    uint256 private _lock;

    modifier nonReentrant() {
        if (_lock == 2) revert ReentrancyGuardReentrantCall();
        _lock = 2;
        _;
        _lock = 1;
    }

    /// Escrow msg.value for a new job run by providerAddress.
    function createJob(bytes32 jobId, address providerAddress) external payable nonReentrant {
        require(msg.value > 0, "JobManager: payment required");
        require(providerAddress != address(0), "JobManager: zero provider");
        require(jobs[jobId].status == JobStatus.None, "JobManager: job exists");

        jobs[jobId] = Job({
            jobId: jobId,
            renter: msg.sender,
            provider: providerAddress,
            payment: msg.value,
            status: JobStatus.Created,
            createdAt: block.timestamp,
            confirmedAt: 0
        });
        totalJobsCreated += 1;
        totalEscrowAmount += msg.value;
        emit JobCreated(jobId, msg.sender, providerAddress, msg.value);
    }

    /// The renter accepts the result of a created job.
    function confirmResult(bytes32 jobId) external nonReentrant {
        Job storage job = jobs[jobId];
        require(job.status == JobStatus.Created, "JobManager: job not awaiting confirmation");
        require(job.renter == msg.sender, "JobManager: caller is not the renter");

        job.status = JobStatus.Confirmed;
        job.confirmedAt = block.timestamp;
        totalJobsCompleted += 1;
        emit JobConfirmed(jobId, block.timestamp);
    }

    /// The provider withdraws the payment of a confirmed job. State is settled before the
    /// transfer, and the lock stops a re-entering recipient.
    function claimReward(bytes32 jobId) external nonReentrant {
        Job storage job = jobs[jobId];
        require(job.status == JobStatus.Confirmed, "JobManager: job not confirmed");
        require(job.provider == msg.sender, "JobManager: caller is not the provider");

        uint256 amount = job.payment;
        job.status = JobStatus.Paid;
        totalEscrowAmount -= amount;
        (bool sent, ) = payable(msg.sender).call{value: amount}("");
        require(sent, "JobManager: transfer failed");
        emit PaymentClaimed(jobId, msg.sender, amount);
    }

    function getJobInfo(bytes32 jobId) external view returns (Job memory job) {
        job = jobs[jobId];
    }

    function getJobStatistics() external view returns (uint256 created, uint256 completed, uint256 escrowAmount) {
        return (totalJobsCreated, totalJobsCompleted, totalEscrowAmount);
    }

    function getTotalEscrowAmount() external view returns (uint256) {
        return totalEscrowAmount;
    }

    function isJobInStatus(bytes32 jobId, JobStatus status) external view returns (bool) {
        return jobs[jobId].status == status;
    }
}
