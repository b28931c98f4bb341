// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title NodeReputation (Lamda devnet)
/// @notice Registry of GPU providers: specs, liveness (heartbeats) and the count of jobs the
///         owner (the Lamda backend's admin wallet) has credited to each provider. Written for
///         the Lamda devnet; its ABI matches shared/contracts/NodeReputation.abi.json.
contract NodeReputation {
    struct Provider {
        string gpuModel;
        uint256 vram;
        uint256 lastSeen;
        bool isRegistered;
    }

    /// A provider counts as active when its last heartbeat (or registration) is at most this
    /// old. Agents heartbeat every 5 minutes; twice that tolerates one missed beat.
    uint256 internal constant ACTIVE_WINDOW = 10 minutes;

    mapping(address => Provider) public providers;
    mapping(address => uint256) public successfulJobsCount;
    uint256 public totalProviders;

    // Every address that ever registered, for getActiveProvidersCount.
    address[] private _providerList;
    address private _owner;

    event NodeRegistered(address indexed provider, string gpuModel, uint256 vram);
    event NodeHeartbeat(address indexed provider, uint256 timestamp);
    event JobCountIncremented(address indexed provider, uint256 newCount);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    error OwnableInvalidOwner(address owner);
    error OwnableUnauthorizedAccount(address account);

    modifier onlyOwner() {
        if (msg.sender != _owner) revert OwnableUnauthorizedAccount(msg.sender);
        _;
    }

    constructor() {
        _setOwner(msg.sender);
    }

    // ---- ownership ----------------------------------------------------------------------

    function owner() public view returns (address) {
        return _owner;
    }

    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert OwnableInvalidOwner(address(0));
        _setOwner(newOwner);
    }

    /// Leaves the contract without an owner: incrementJobs can never be called again.
    function renounceOwnership() external onlyOwner {
        _setOwner(address(0));
    }

    function _setOwner(address newOwner) private {
        address previous = _owner;
        _owner = newOwner;
        emit OwnershipTransferred(previous, newOwner);
    }

    // ---- providers ----------------------------------------------------------------------

    /// Register the caller, or update its specs when it is already registered. Registering
    /// also counts as a sign of life.
    function registerNode(string calldata gpuModel, uint256 vram) external {
        require(bytes(gpuModel).length > 0, "NodeReputation: empty gpuModel");
        require(vram > 0, "NodeReputation: zero vram");
        Provider storage p = providers[msg.sender];
        if (!p.isRegistered) {
            p.isRegistered = true;
            _providerList.push(msg.sender);
            totalProviders += 1;
        }
        p.gpuModel = gpuModel;
        p.vram = vram;
        p.lastSeen = block.timestamp;
        emit NodeRegistered(msg.sender, gpuModel, vram);
    }

    function sendHeartbeat() external {
        Provider storage p = providers[msg.sender];
        require(p.isRegistered, "NodeReputation: not registered");
        p.lastSeen = block.timestamp;
        emit NodeHeartbeat(msg.sender, block.timestamp);
    }

    /// Credit one successfully confirmed job to provider (called by the backend's admin wallet).
    /// The provider need not be registered here: jobs are paid on BSC whatever opBNB knows.
    function incrementJobs(address provider) external onlyOwner {
        uint256 newCount = successfulJobsCount[provider] + 1;
        successfulJobsCount[provider] = newCount;
        emit JobCountIncremented(provider, newCount);
    }

    function getProviderInfo(address provider)
        external
        view
        returns (Provider memory providerInfo, uint256 jobCount)
    {
        return (providers[provider], successfulJobsCount[provider]);
    }

    function isProviderActive(address provider) public view returns (bool) {
        Provider storage p = providers[provider];
        return p.isRegistered && block.timestamp - p.lastSeen <= ACTIVE_WINDOW;
    }

    function getActiveProvidersCount() external view returns (uint256 count) {
        uint256 n = _providerList.length;
        for (uint256 i = 0; i < n; i++) {
            if (isProviderActive(_providerList[i])) count++;
        }
    }
}
